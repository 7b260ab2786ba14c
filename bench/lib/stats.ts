/** Order statistics for latency samples and repeated runs. */

/** The q-quantile (0..1) of the samples, by linear interpolation between order statistics. */
export function quantile(samples: readonly number[], q: number): number {
  if (samples.length === 0) return Number.NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  const position = (sorted.length - 1) * Math.min(1, Math.max(0, q));
  const below = Math.floor(position);
  const above = Math.ceil(position);
  const low = sorted[below]!;
  return low + (sorted[above]! - low) * (position - below);
}

export const median = (samples: readonly number[]): number => quantile(samples, 0.5);

/** Median and spread of one figure over repeated runs. */
export interface Spread {
  median: number;
  min: number;
  max: number;
  runs: number;
}

export function spread(samples: readonly number[]): Spread {
  return {
    median: median(samples),
    min: Math.min(...samples),
    max: Math.max(...samples),
    runs: samples.length,
  };
}

/** Latency percentiles of one run, in milliseconds. */
export interface Percentiles {
  p50: number;
  p95: number;
  p99: number;
}

export function percentiles(samplesMs: readonly number[]): Percentiles {
  return {
    p50: quantile(samplesMs, 0.5),
    p95: quantile(samplesMs, 0.95),
    p99: quantile(samplesMs, 0.99),
  };
}

/** Fixed-point with a sensible number of digits for a table cell. */
export function fmt(value: number, digits?: number): string {
  if (!Number.isFinite(value)) return 'n/a';
  const d = digits ?? (Math.abs(value) >= 100 ? 0 : Math.abs(value) >= 10 ? 1 : 2);
  return value.toFixed(d);
}

/** `median (min–max, n runs)`. */
export function fmtSpread(s: Spread, digits?: number): string {
  if (s.runs <= 1) return fmt(s.median, digits);
  return `${fmt(s.median, digits)} (${fmt(s.min, digits)}–${fmt(s.max, digits)})`;
}

/** Per-run ratios of two paired series (same run index), summarised. */
export function ratioSpread(
  numerators: readonly number[],
  denominators: readonly number[],
): Spread {
  const n = Math.min(numerators.length, denominators.length);
  return spread(Array.from({ length: n }, (_, i) => numerators[i]! / denominators[i]!));
}
