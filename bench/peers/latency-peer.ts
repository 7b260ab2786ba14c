/*
 * One peer at one size, in a process of its own (its memory is its own, and a peer that runs out
 * of it fails alone): regenerates the benchmark's store from the same seed, loads it into the
 * peer, runs the same filtered questions, and prints one JSON line (`RESULT {...}`).
 *   tsx bench/peers/latency-peer.ts '{"peer":"orama","spec":{...},"plan":{...},"queries":N}'
 */
import { measureLatency, type LatencyPlan } from '../lib/latency-runner';
import {
  scaleQueries,
  scaleRows,
  TARGET_PROJECT,
  TARGET_TENANT,
  targetFileIds,
  type ScaleSpec,
} from '../lib/scale-data';
import { DIMENSIONS } from '../lib/synthetic';
import {
  createMemoryVectorStore,
  createOrama,
  type PeerDoc,
  type PeerMode,
  type PeerStore,
} from './stores';

export interface PeerJob {
  peer: 'langchain' | 'orama';
  spec: ScaleSpec;
  plan: LatencyPlan;
  queries: number;
}

const BATCH = 10_000;

async function load(store: PeerStore, spec: ScaleSpec): Promise<number> {
  const start = performance.now();
  let batch: PeerDoc[] = [];
  let n = 0;
  for (const row of scaleRows(spec)) {
    batch.push({
      id: `${row.fileId}#${row.index}`,
      text: row.text,
      tenantId: row.tenantId,
      projectId: row.projectId,
      fileId: row.fileId,
      vector: row.vector,
    });
    if (batch.length === BATCH) {
      await store.add(batch);
      n += batch.length;
      batch = [];
      if (n % (BATCH * 10) === 0) {
        const seconds = ((performance.now() - start) / 1000).toFixed(0);
        process.stderr.write(`  ${store.name}: ${n} of ${spec.total} loaded (${seconds} s)\n`);
      }
    }
  }
  if (batch.length > 0) await store.add(batch);
  return (performance.now() - start) / 1000;
}

async function main(): Promise<void> {
  const job = JSON.parse(process.argv[2] ?? '') as PeerJob;
  const store = job.peer === 'orama' ? createOrama(DIMENSIONS) : createMemoryVectorStore();
  const mode: PeerMode = job.peer === 'orama' ? 'hybrid' : 'dense';
  const loadSeconds = await load(store, job.spec);
  const heapBytes = process.memoryUsage().heapUsed;
  const fileIds = targetFileIds(job.spec);
  const fileIdSet = new Set(fileIds);
  const queries = scaleQueries(job.queries);
  const runs = await measureLatency(
    queries,
    async (q) =>
      (
        await store.search(
          {
            text: q.text,
            vector: q.vector,
            tenantId: TARGET_TENANT,
            projectId: TARGET_PROJECT,
            fileIds,
            fileIdSet,
            k: 10,
          },
          mode,
        )
      ).length,
    job.plan,
  );
  process.stdout.write(
    `RESULT ${JSON.stringify({ name: `${store.name} ${mode}`, loadSeconds, heapBytes, ...runs })}\n`,
  );
}

main().catch((error: unknown) => {
  process.stderr.write(`peer failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});
