/*
 * Runs one search function over the benchmark's questions in repeated runs and returns each run's
 * percentiles. Shared by the local knowledge base (in the bench process) and the peers (each in a
 * child process of its own), so that every store is measured the same way.
 */
import { percentiles, type Percentiles } from './stats';

export interface LatencyPlan {
  warmup: number;
  runs: number;
  /** Questions per run, at most. */
  perRun: number;
  /** A run stops early after this long (slow peers), keeping at least `minPerRun` questions. */
  runBudgetMs: number;
  minPerRun: number;
}

export interface LatencyRuns {
  runs: Percentiles[];
  /** Questions measured per run. */
  samples: number[];
  /** Mean hits per question (a store answering nothing would look fast). */
  meanHits: number;
  /**
   * CPU milliseconds the process spent per question, run by run: unlike wall time, it does not
   * grow when other work shares the machine.
   */
  cpuMs: number[];
}

export async function measureLatency<Q>(
  queries: readonly Q[],
  searchOnce: (query: Q) => Promise<number>,
  plan: LatencyPlan,
): Promise<LatencyRuns> {
  let q = 0;
  const next = () => queries[q++ % queries.length]!;
  for (let i = 0; i < plan.warmup; i++) await searchOnce(next());
  const runs: Percentiles[] = [];
  const samples: number[] = [];
  const cpuMs: number[] = [];
  let hits = 0;
  let count = 0;
  for (let run = 0; run < plan.runs; run++) {
    const times: number[] = [];
    const started = performance.now();
    const cpu = process.cpuUsage();
    while (times.length < plan.perRun) {
      const query = next();
      const t0 = performance.now();
      hits += await searchOnce(query);
      times.push(performance.now() - t0);
      count++;
      if (times.length >= plan.minPerRun && performance.now() - started > plan.runBudgetMs) break;
    }
    const used = process.cpuUsage(cpu);
    cpuMs.push((used.user + used.system) / 1000 / times.length);
    runs.push(percentiles(times));
    samples.push(times.length);
  }
  return { runs, samples, meanHits: count > 0 ? hits / count : 0, cpuMs };
}
