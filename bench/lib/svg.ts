/*
 * Small self-contained SVG charts for docs/benchmarks: grouped bars, lines and a histogram.
 * No browser and no library: plain strings with a fixed layout and a nice-number axis.
 */

const WIDTH = 720;
const HEIGHT = 360;
const MARGIN = { top: 40, right: 20, bottom: 60, left: 70 };
const PALETTE = ['#2f6fdf', '#e0762b', '#3a9d5d', '#b8457a', '#7a5cc7', '#8c8c8c'];

export interface Series {
  name: string;
  values: number[];
}

function escape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** 1, 2 or 5 times a power of ten, just above range / ticks. */
function niceStep(range: number, ticks: number): number {
  const raw = range / Math.max(1, ticks);
  const power = Math.pow(10, Math.floor(Math.log10(raw || 1)));
  const m = raw / power;
  return (m <= 1 ? 1 : m <= 2 ? 2 : m <= 5 ? 5 : 10) * power;
}

function tickLabel(value: number): string {
  const abs = Math.abs(value);
  if (abs >= 1e6) return `${+(value / 1e6).toFixed(1)}M`;
  if (abs >= 1e3) return `${+(value / 1e3).toFixed(1)}k`;
  return `${+value.toFixed(abs < 1 ? 2 : 1)}`;
}

function frame(title: string, yLabel: string, body: string[], legend: string[]): string {
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}" ` +
      `viewBox="0 0 ${WIDTH} ${HEIGHT}" font-family="sans-serif" font-size="12">`,
    `<rect width="${WIDTH}" height="${HEIGHT}" fill="white"/>`,
    `<text x="${WIDTH / 2}" y="22" text-anchor="middle" font-size="15">${escape(title)}</text>`,
    `<text transform="translate(16 ${HEIGHT / 2}) rotate(-90)" text-anchor="middle">${escape(yLabel)}</text>`,
    ...body,
    ...legend,
    '</svg>',
    '',
  ].join('\n');
}

function yAxis(max: number): { scale: (v: number) => number; lines: string[]; top: number } {
  const step = niceStep(max, 5);
  const top = Math.max(step, Math.ceil(max / step) * step);
  const plotHeight = HEIGHT - MARGIN.top - MARGIN.bottom;
  const scale = (v: number) => HEIGHT - MARGIN.bottom - (v / top) * plotHeight;
  const lines: string[] = [];
  for (let v = 0; v <= top + step / 2; v += step) {
    const y = scale(v).toFixed(1);
    lines.push(
      `<line x1="${MARGIN.left}" x2="${WIDTH - MARGIN.right}" y1="${y}" y2="${y}" stroke="#e5e5e5"/>`,
      `<text x="${MARGIN.left - 6}" y="${y}" text-anchor="end" dominant-baseline="middle">${tickLabel(v)}</text>`,
    );
  }
  return { scale, lines, top };
}

function legendOf(names: string[]): string[] {
  return names.map((name, i) => {
    const x = MARGIN.left + i * 150;
    const y = HEIGHT - 14;
    return (
      `<rect x="${x}" y="${y - 9}" width="12" height="12" fill="${PALETTE[i % PALETTE.length]}"/>` +
      `<text x="${x + 16}" y="${y + 1}">${escape(name)}</text>`
    );
  });
}

/** Words into lines of at most `width` characters (a longer word gets a line of its own). */
function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  for (const word of text.split(' ')) {
    const last = lines[lines.length - 1];
    if (last !== undefined && last.length + 1 + word.length <= width)
      lines[lines.length - 1] = `${last} ${word}`;
    else lines.push(word);
  }
  return lines.slice(0, 2);
}

/** Groups along x (one per category), one bar per series in each group. */
export function barChart(options: {
  title: string;
  yLabel: string;
  categories: string[];
  series: Series[];
}): string {
  const { categories, series } = options;
  const max = Math.max(0, ...series.flatMap((s) => s.values.filter(Number.isFinite)));
  const axis = yAxis(max);
  const plotWidth = WIDTH - MARGIN.left - MARGIN.right;
  const groupWidth = plotWidth / Math.max(1, categories.length);
  const barWidth = (groupWidth * 0.8) / Math.max(1, series.length);
  const body = [...axis.lines];
  categories.forEach((category, c) => {
    const x0 = MARGIN.left + c * groupWidth + groupWidth * 0.1;
    series.forEach((s, i) => {
      const value = s.values[c];
      if (value === undefined || !Number.isFinite(value)) return;
      const y = axis.scale(value);
      body.push(
        `<rect x="${(x0 + i * barWidth).toFixed(1)}" y="${y.toFixed(1)}" width="${(barWidth - 2).toFixed(1)}" ` +
          `height="${(HEIGHT - MARGIN.bottom - y).toFixed(1)}" fill="${PALETTE[i % PALETTE.length]}">` +
          `<title>${escape(`${s.name}: ${value}`)}</title></rect>`,
      );
    });
    const x = (x0 + groupWidth * 0.4).toFixed(1);
    const lines = wrap(category, Math.max(8, Math.floor(groupWidth / 6.5)));
    body.push(
      `<text x="${x}" y="${HEIGHT - MARGIN.bottom + 14}" text-anchor="middle" font-size="11">` +
        lines
          .map((line, i) => `<tspan x="${x}" dy="${i === 0 ? 0 : 12}">${escape(line)}</tspan>`)
          .join('') +
        '</text>',
    );
  });
  return frame(options.title, options.yLabel, body, legendOf(series.map((s) => s.name)));
}

/** Lines over a shared numeric x. */
export function lineChart(options: {
  title: string;
  xLabel: string;
  yLabel: string;
  x: number[];
  series: Series[];
}): string {
  const { x, series } = options;
  const max = Math.max(0, ...series.flatMap((s) => s.values.filter(Number.isFinite)));
  const axis = yAxis(max);
  const xMin = Math.min(...x);
  const xMax = Math.max(...x);
  const plotWidth = WIDTH - MARGIN.left - MARGIN.right;
  const sx = (v: number) => MARGIN.left + ((v - xMin) / Math.max(1e-9, xMax - xMin)) * plotWidth;
  const body = [...axis.lines];
  const step = niceStep(xMax - xMin, 8);
  for (let v = Math.ceil(xMin / step) * step; v <= xMax; v += step) {
    body.push(
      `<text x="${sx(v).toFixed(1)}" y="${HEIGHT - MARGIN.bottom + 16}" text-anchor="middle">${tickLabel(v)}</text>`,
    );
  }
  body.push(
    `<text x="${MARGIN.left + plotWidth / 2}" y="${HEIGHT - MARGIN.bottom + 34}" text-anchor="middle">${escape(options.xLabel)}</text>`,
  );
  series.forEach((s, i) => {
    const points = s.values
      .map((v, j) =>
        Number.isFinite(v) ? `${sx(x[j]!).toFixed(1)},${axis.scale(v).toFixed(1)}` : '',
      )
      .filter(Boolean)
      .join(' ');
    body.push(
      `<polyline fill="none" stroke="${PALETTE[i % PALETTE.length]}" stroke-width="2" points="${points}"/>`,
    );
  });
  return frame(options.title, options.yLabel, body, legendOf(series.map((s) => s.name)));
}

/** Counts of values in equal-width bins. */
export function histogram(options: {
  title: string;
  xLabel: string;
  values: number[];
  bins?: number;
}): string {
  const bins = options.bins ?? 12;
  const values = options.values.filter(Number.isFinite);
  const lo = Math.min(0, ...values);
  const hi = Math.max(lo + 1, ...values);
  const width = (hi - lo) / bins;
  const counts = new Array<number>(bins).fill(0);
  for (const v of values) counts[Math.min(bins - 1, Math.floor((v - lo) / width))]! += 1;
  const categories = counts.map((_, i) => tickLabel(lo + i * width));
  return barChart({
    title: options.title,
    yLabel: 'count',
    categories,
    series: [{ name: options.xLabel, values: counts }],
  });
}
