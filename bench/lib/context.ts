/** What every benchmark receives and returns, and the few helpers they share. */
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { createLogger, type Embedder, type Logger } from '@jitkb/shared';
import { createLocalEmbedder } from '../../shared/src/adapters/local/onnx-embedder';
import { startSystem, type System } from '../../test/e2e/system';

export const REPO_ROOT = path.resolve(__dirname, '..', '..');

/** How big a run is: the full bench, `--quick`, or the seconds-long smoke run of the tests. */
export type Scale = 'full' | 'quick' | 'smoke';

export interface BenchContext {
  scale: Scale;
  /** Caches that a second run reuses (.data/bench). */
  cacheDir: string;
  /** Scratch space of this run; removed at the end. */
  tempDir: string;
  log: Logger;
  /** Prints one line of progress or a figure, as it is measured. */
  say(line: string): void;
  /** The local embedding model, loaded once for the run; undefined when none is installed. */
  embedder(): Promise<Embedder | undefined>;
  /**
   * The five services as processes on the embedded adapters (test/e2e/system.ts), started once
   * for the run on first use and shared by the benchmarks that go through HTTP.
   */
  system(): Promise<System>;
  /** Stops the system and frees the embedding model, if they were started. */
  close(): Promise<void>;
}

export interface Target {
  name: string;
  target: string;
  measured: string;
  /** undefined when it could not be measured in this run. */
  met: boolean | undefined;
}

export interface Chart {
  /** File name under docs/benchmarks/. */
  file: string;
  alt: string;
  svg: string;
}

export interface SectionResult {
  id: string;
  title: string;
  /** Markdown: tables and notes, without the section heading. */
  markdown: string;
  charts: Chart[];
  targets: Target[];
  /** Raw figures, kept in the JSON results file. */
  data: unknown;
  /** Filled in by the runner: how long the section took and the machine's load around it. */
  conditions?: { date: string; seconds: number; loadBefore: number; loadAfter: number };
}

export type Benchmark = (context: BenchContext) => Promise<SectionResult>;

export function createContext(options: {
  scale: Scale;
  cacheDir: string;
  tempDir: string;
}): BenchContext {
  mkdirSync(options.cacheDir, { recursive: true });
  mkdirSync(options.tempDir, { recursive: true });
  const log = createLogger({ service: 'bench', level: 'warn', destination: process.stderr });
  let loading: Promise<Embedder | undefined> | undefined;
  let starting: Promise<System> | undefined;
  return {
    ...options,
    log,
    say: (line) => process.stdout.write(`${line}\n`),
    embedder: () => (loading ??= createLocalEmbedder({ log })),
    system: () =>
      (starting ??= startSystem({
        mode: 'embedded',
        label: `bench-${options.scale}`,
        env: { LOG_LEVEL: 'warn' },
      })),
    async close() {
      const system = await starting?.catch(() => undefined);
      await system?.stop();
      const embedder = await loading?.catch(() => undefined);
      if (embedder && 'close' in embedder && typeof embedder.close === 'function') {
        await (embedder.close as () => Promise<void>).call(embedder);
      }
    },
  };
}

/** A markdown table. */
export function table(headers: string[], rows: Array<Array<string | number>>): string {
  const line = (cells: Array<string | number>) => `| ${cells.map(String).join(' | ')} |`;
  return [line(headers), line(headers.map(() => '---')), ...rows.map(line)].join('\n');
}

export function metText(met: boolean | undefined): string {
  return met === undefined ? 'not measured' : met ? 'met' : 'missed';
}

/** The SciFact folder: JITKB_BENCH_SCIFACT, else shared/eval/scifact beside the repository. */
export function scifactDir(): string | undefined {
  const candidates = [
    process.env.JITKB_BENCH_SCIFACT,
    path.resolve(REPO_ROOT, '..', 'shared', 'eval', 'scifact'),
    '/work/shared/eval/scifact',
  ].filter((dir): dir is string => Boolean(dir));
  return candidates.find((dir) => existsSync(path.join(dir, 'corpus.jsonl')));
}

/** Runs `work` and returns its result with the wall time in milliseconds. */
export async function timed<T>(work: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const start = performance.now();
  const value = await work();
  return { value, ms: performance.now() - start };
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
