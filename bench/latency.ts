/*
 * Retrieval latency: a filtered retrieve (tenant, project, live files) in one project of 10k
 * chunks while the store holds 100k and 1M chunks of other tenants and projects, against the
 * peers answering the same filtered questions at the sizes they can hold in memory.
 */
import { spawn } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { buildRetrievalFilter, type TenantContext } from '@jitkb/shared';
import {
  SqliteKnowledgeBase,
  type SearchMode,
} from '../shared/src/adapters/local/sqlite-knowledge-base';
import { REPO_ROOT, table, type BenchContext, type SectionResult } from './lib/context';
import { measureLatency, type LatencyPlan, type LatencyRuns } from './lib/latency-runner';
import {
  CHUNKS_PER_FILE,
  scaleQueries,
  TARGET_PROJECT,
  TARGET_TENANT,
  targetFileIds,
  tenantsFor,
  WORDS_PER_CHUNK,
  type ScaleSpec,
} from './lib/scale-data';
import { buildScaleStore } from './lib/scale-store';
import { fmt, fmtSpread, median, ratioSpread, spread, type Spread } from './lib/stats';
import { barChart } from './lib/svg';
import { SyntheticEmbedder } from './lib/synthetic';
import type { PeerJob } from './peers/latency-peer';

const TSX = path.join(REPO_ROOT, 'node_modules', '.bin', 'tsx');
const PEERS = ['langchain', 'orama'] as const;

interface Row {
  size: number;
  store: string;
  runs: LatencyRuns;
  note?: string;
}

interface Skipped {
  size: number;
  store: string;
  reason: string;
}

function settings(context: BenchContext) {
  const { scale } = context;
  const sizes = scale === 'full' ? [100_000, 1_000_000] : scale === 'quick' ? [100_000] : [3_000];
  const projectChunks = scale === 'smoke' ? 1_000 : 10_000;
  const plan: LatencyPlan =
    scale === 'full'
      ? { warmup: 20, runs: 5, perRun: 200, runBudgetMs: 6_000, minPerRun: 30 }
      : scale === 'quick'
        ? { warmup: 10, runs: 3, perRun: 100, runBudgetMs: 4_000, minPerRun: 20 }
        : { warmup: 2, runs: 2, perRun: 10, runBudgetMs: 2_000, minPerRun: 5 };
  // The single-ranker modes only explain where the hybrid's time goes: fewer, shorter runs.
  const profilePlan: LatencyPlan = {
    ...plan,
    runs: Math.min(plan.runs, 3),
    runBudgetMs: plan.runBudgetMs / 2,
  };
  // A peer's load that would take longer than this, projected linearly from the smaller size, is
  // not tried. The projection is a floor: Orama's load grows faster than linearly (at 1M its run
  // was stopped unfinished after 1,320 s, against a 35 s load at 100k), and a two-minute budget
  // keeps the section within minutes while MemoryVectorStore (about a minute at 1M) still runs.
  const peerBudgetSeconds = scale === 'full' ? 120 : scale === 'quick' ? 240 : 60;
  return { sizes, projectChunks, plan, profilePlan, peerBudgetSeconds };
}

/** The peers' heap: most of the machine's memory, leaving room for the OS and the bench. */
function peerHeapMb(): number {
  return Math.floor(Math.min(16_384, (os.totalmem() / 2 ** 20) * 0.6));
}

async function measureOurs(
  context: BenchContext,
  dbPath: string,
  spec: ScaleSpec,
  plan: LatencyPlan,
  mode: SearchMode,
): Promise<LatencyRuns> {
  const kb = new SqliteKnowledgeBase({
    path: dbPath,
    log: context.log,
    mode,
    embedder: new SyntheticEmbedder(),
  });
  const tenant: TenantContext = {
    tenantId: TARGET_TENANT,
    userId: 'u',
    email: undefined,
    tier: 'x',
  };
  const filter = buildRetrievalFilter(
    tenant,
    TARGET_PROJECT,
    targetFileIds(spec).map((fileId) => ({ fileId, ttl: Number.MAX_SAFE_INTEGER })),
  );
  try {
    return await measureLatency(
      scaleQueries(500),
      async (q) => (await kb.retrieve(q.text, filter, { k: 10 })).length,
      plan,
    );
  } finally {
    await kb.close();
  }
}

function runPeer(
  job: PeerJob,
  timeoutSeconds: number,
): Promise<LatencyRuns & { loadSeconds: number; heapBytes: number; name: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      TSX,
      [
        '--conditions=@jitkb/source',
        path.join(__dirname, 'peers', 'latency-peer.ts'),
        JSON.stringify(job),
      ],
      {
        cwd: REPO_ROOT,
        detached: true,
        stdio: ['ignore', 'pipe', 'inherit'],
        env: { ...process.env, NODE_OPTIONS: `--max-old-space-size=${peerHeapMb()}` },
      },
    );
    let out = '';
    child.stdout.on('data', (data: Buffer) => (out += data.toString()));
    const timer = setTimeout(() => {
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        // already gone
      }
    }, timeoutSeconds * 1000);
    child.once('error', reject);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      const line = out.split('\n').find((l) => l.startsWith('RESULT '));
      if (code === 0 && line) return resolve(JSON.parse(line.slice(7)) as never);
      reject(
        new Error(
          signal === 'SIGKILL'
            ? `stopped after ${timeoutSeconds} s`
            : `exited with ${signal ?? code}`,
        ),
      );
    });
  });
}

const p95s = (runs: LatencyRuns) => runs.runs.map((r) => r.p95);
const of = (runs: LatencyRuns, pick: 'p50' | 'p95' | 'p99'): Spread =>
  spread(runs.runs.map((r) => r[pick]));

export async function runLatency(context: BenchContext): Promise<SectionResult> {
  const { sizes, projectChunks, plan, profilePlan, peerBudgetSeconds } = settings(context);
  const rows: Row[] = [];
  const skipped: Skipped[] = [];
  const builds: string[] = [];
  const previous = new Map<string, { loadSeconds: number; heapBytes: number; size: number }>();
  for (const total of sizes) {
    const spec: ScaleSpec = { total, projectChunks };
    const store = await buildScaleStore(context, spec);
    const built = store.cached ? 'reused from .data/bench' : `built in ${fmt(store.seconds)} s`;
    builds.push(
      `${total.toLocaleString('en')} chunks: ${fmt(store.bytes / 2 ** 30, 2)} GiB, ${built}`,
    );
    context.say(`latency: store of ${total} chunks ${built}`);
    for (const mode of ['hybrid', 'dense', 'bm25'] as const) {
      const runs = await measureOurs(
        context,
        store.path,
        spec,
        mode === 'hybrid' ? plan : profilePlan,
        mode,
      );
      if (runs.meanHits < 10) {
        throw new Error(
          `jitkb ${mode} answered ${runs.meanHits} hits a question, not 10: ` +
            'bench/lib/scale-store.ts no longer writes what the knowledge base reads',
        );
      }
      rows.push({ size: total, store: `jitkb ${mode}`, runs });
      context.say(
        `latency: ${total} jitkb ${mode} p50=${fmt(median(runs.runs.map((r) => r.p50)))} p95=${fmt(median(p95s(runs)))} ms`,
      );
    }
    for (const peer of PEERS) {
      const before = previous.get(peer);
      const heapLimit = peerHeapMb() * 2 ** 20;
      if (before) {
        const factor = total / before.size;
        const heap = before.heapBytes * factor;
        const load = before.loadSeconds * factor;
        if (heap > heapLimit * 0.85 || load > peerBudgetSeconds) {
          const reason = `not run: from its ${before.size.toLocaleString('en')} run it would need ~${fmt(heap / 2 ** 30, 1)} GiB of heap (limit ${fmt(heapLimit / 2 ** 30, 1)}) and ~${fmt(load, 0)} s to load at least (budget ${peerBudgetSeconds} s)`;
          skipped.push({ size: total, store: peer, reason });
          context.say(`latency: ${total} ${peer} ${reason}`);
          continue;
        }
      }
      try {
        const result = await runPeer(
          { peer, spec, plan, queries: 500 },
          peerBudgetSeconds * 2 + 120,
        );
        previous.set(peer, {
          loadSeconds: result.loadSeconds,
          heapBytes: result.heapBytes,
          size: total,
        });
        rows.push({
          size: total,
          store: result.name,
          runs: result,
          note: `loaded in ${fmt(result.loadSeconds)} s, heap ${fmt(result.heapBytes / 2 ** 30, 2)} GiB`,
        });
        context.say(
          `latency: ${total} ${result.name} p95=${fmt(median(p95s(result)))} ms (${result.samples.join('/')} questions per run)`,
        );
      } catch (error) {
        const reason = `failed: ${error instanceof Error ? error.message : String(error)}`;
        skipped.push({ size: total, store: peer, reason });
        context.say(`latency: ${total} ${peer} ${reason}`);
      }
    }
  }
  return report(context, { sizes, projectChunks, plan, rows, skipped, builds });
}

async function embeddingCost(context: BenchContext): Promise<string> {
  const embedder = await context.embedder();
  if (!embedder) return 'no embedding model is installed, so its cost was not measured.';
  const times: number[] = [];
  for (const q of scaleQueries(context.scale === 'smoke' ? 5 : 50, 7)) {
    const t0 = performance.now();
    await embedder.embedQuery(q.text);
    times.push(performance.now() - t0);
  }
  return `embedding the question with the local model adds ${fmt(median(times))} ms (median of ${times.length}) to every store alike.`;
}

async function report(
  context: BenchContext,
  r: {
    sizes: number[];
    projectChunks: number;
    plan: LatencyPlan;
    rows: Row[];
    skipped: Skipped[];
    builds: string[];
  },
): Promise<SectionResult> {
  const { sizes, rows, skipped } = r;
  const ours = (size: number) =>
    rows.find((row) => row.size === size && row.store === 'jitkb hybrid')!;
  const peersAt = (size: number) =>
    rows.filter((row) => row.size === size && !row.store.startsWith('jitkb'));
  const tableRows = rows.map((row) => {
    const ratio = ratioSpread(p95s(row.runs), p95s(ours(row.size).runs));
    return [
      row.size.toLocaleString('en'),
      row.store,
      fmtSpread(of(row.runs, 'p50')),
      fmtSpread(of(row.runs, 'p95')),
      fmtSpread(of(row.runs, 'p99')),
      row.store === 'jitkb hybrid' ? '1' : fmtSpread(ratio),
      fmtSpread(spread(row.runs.cpuMs)),
      `${row.runs.samples.join('/')}; ${fmt(row.runs.meanHits, 1)} hits${row.note ? `; ${row.note}` : ''}`,
    ];
  });
  const largest = Math.max(...sizes);
  const oursLargest = median(p95s(ours(largest).runs));
  const comparedAt = [...sizes].reverse().find((size) => peersAt(size).length > 0);
  let speedup: Spread | undefined;
  let better = '';
  if (comparedAt !== undefined) {
    const best = peersAt(comparedAt).sort(
      (a, b) => median(p95s(a.runs)) - median(p95s(b.runs)),
    )[0]!;
    better = best.store;
    speedup = ratioSpread(p95s(best.runs), p95s(ours(comparedAt).runs));
  }
  const markdown = [
    `One project of ${r.projectChunks.toLocaleString('en')} chunks (${r.projectChunks / CHUNKS_PER_FILE} files of ${CHUNKS_PER_FILE} chunks, all live) in tenant ${TARGET_TENANT}, ` +
      `among other tenants' and projects' chunks (${sizes.map((s) => `${s.toLocaleString('en')}: ${tenantsFor(s)} tenants × 8 projects`).join('; ')}). ` +
      `Chunks of ${WORDS_PER_CHUNK} words drawn from a 30,000-word Zipf word list; random unit vectors of 384 dimensions; ` +
      `questions of 6 words and their own random vectors, k = 10. Every store answers the same filtered questions ` +
      `(tenant, project and the ${r.projectChunks / CHUNKS_PER_FILE} live files). Times in ms per retrieve, ${r.plan.runs} runs of up to ${r.plan.perRun} questions after ${r.plan.warmup} warm-up; ` +
      `"median (min–max)" over runs. The ratio is the store's p95 over jitkb hybrid's, run by run. ` +
      `CPU ms per retrieve is the process's CPU time over a run divided by its questions: unlike the ` +
      `wall times, it does not grow with the other work on the machine.`,
    '',
    `Stores: ${r.builds.join('; ')}. Peers run in their own processes with a ${fmt(peerHeapMb() / 1024, 1)} GiB heap.`,
    '',
    table(
      [
        'stored chunks',
        'store',
        'p50',
        'p95',
        'p99',
        'p95 ratio',
        'CPU ms per retrieve',
        'questions per run; hits; notes',
      ],
      tableRows,
    ),
    '',
    ...(skipped.length > 0
      ? [
          'Not measured:',
          '',
          ...skipped.map((s) => `- ${s.store} at ${s.size.toLocaleString('en')}: ${s.reason}`),
          '',
        ]
      : []),
    `The vectors are synthetic, so the question's vector costs nothing here; ${await embeddingCost(context)}`,
  ].join('\n');
  const stores = [...new Set(rows.map((row) => row.store))];
  return {
    id: 'latency',
    title: 'Retrieval latency (filtered, multi-tenant store)',
    markdown,
    charts: [
      {
        file: 'latency.svg',
        alt: 'p95 latency of a filtered retrieve by store size',
        svg: barChart({
          title: 'p95 of a filtered retrieve (ms)',
          yLabel: 'ms',
          categories: sizes.map((s) => `${s.toLocaleString('en')} chunks stored`),
          series: stores.map((store) => ({
            name: store.replace('LangChain.js ', ''),
            values: sizes.map((size) => {
              const row = rows.find((x) => x.size === size && x.store === store);
              return row ? median(p95s(row.runs)) : Number.NaN;
            }),
          })),
        }),
      },
    ],
    targets: [
      {
        name: `p95 at ${largest.toLocaleString('en')} stored`,
        target: '<= 20 ms',
        measured: `${fmt(oursLargest)} ms`,
        met: context.scale === 'full' ? oursLargest <= 20 : undefined,
      },
      {
        name: 'speed-up over the better peer (p95)',
        target: '>= 5×',
        measured: speedup
          ? `${fmtSpread(speedup)}× vs ${better} at ${comparedAt!.toLocaleString('en')}`
          : 'no peer ran',
        met: speedup && context.scale !== 'smoke' ? speedup.median >= 5 : undefined,
      },
    ],
    data: { rows, skipped },
  };
}
