/**
 * Progress on stderr, so that stdout carries only results (a token, an answer). On a terminal a
 * line redraws in place; in a pipe or a log only finished lines are written.
 */
export interface ProgressLine {
  update(fraction: number, note?: string): void;
  done(note: string): void;
}

const WIDTH = 24;

export function progressLine(
  label: string,
  stream: NodeJS.WriteStream = process.stderr,
): ProgressLine {
  const live = stream.isTTY;
  let last = '';
  const draw = (text: string) => {
    if (text === last) return;
    last = text;
    stream.write(`\r\x1b[2K${text}`);
  };
  return {
    update(fraction, note = '') {
      if (!live) return;
      const clamped = Math.min(1, Math.max(0, fraction));
      const filled = Math.round(clamped * WIDTH);
      const bar = `${'#'.repeat(filled)}${'.'.repeat(WIDTH - filled)}`;
      draw(`${label} [${bar}] ${Math.round(clamped * 100)}% ${note}`.trimEnd());
    },
    done(note) {
      if (live) stream.write('\r\x1b[2K');
      stream.write(`${label} ${note}\n`);
    },
  };
}

/** 1536 → "1.5 KB". */
export function formatBytes(bytes: number): string {
  const units = ['B', 'KB', 'MB', 'GB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${value.toFixed(unit === 0 || value >= 10 ? 0 : 1)} ${units[unit]}`;
}
