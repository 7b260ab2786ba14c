/**
 * Figures of a reliability run, one JSON file per mode under test-results/reliability; the
 * report script turns them into docs/reliability.md.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from '@jitkb/shared/testing';
import { RUN_LABEL, SIZES } from './sizes';

export const FIGURES_DIR = path.join(REPO_ROOT, 'test-results/reliability');

export type Figures = Record<string, string | number | boolean>;

export interface FiguresFile {
  run: string;
  mode: string;
  sizes: typeof SIZES;
  suites: Record<string, Figures>;
}

export function figuresFile(mode: string): string {
  return path.join(FIGURES_DIR, `${mode}.json`);
}

export function readFigures(mode: string): FiguresFile | undefined {
  try {
    return JSON.parse(readFileSync(figuresFile(mode), 'utf8')) as FiguresFile;
  } catch {
    return undefined;
  }
}

/** Records (replaces) one suite's figures for a mode, and prints them. */
export function recordFigures(mode: string, suite: string, figures: Figures): void {
  mkdirSync(FIGURES_DIR, { recursive: true });
  const current = readFigures(mode);
  const file: FiguresFile =
    current && current.run === RUN_LABEL
      ? current
      : { run: RUN_LABEL, mode, sizes: SIZES, suites: {} };
  file.suites[suite] = figures;
  writeFileSync(figuresFile(mode), `${JSON.stringify(file, null, 2)}\n`);
  process.stdout.write(`reliability ${mode} ${suite}: ${JSON.stringify(figures)}\n`);
}

/** The p-th percentile (0..100) of some numbers, nearest rank; NaN when there are none. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length)));
  return sorted[rank - 1] ?? Number.NaN;
}
