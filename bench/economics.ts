/*
 * Just-in-time economics: a month of many tenants, compressed in time, through the real pieces:
 * the SQLite table store with the files and kb-files repositories, the local object store, the
 * local knowledge base (synthetic vectors: the model is not what is measured here), the
 * ingestion worker's ingestFile, the chat's ttl refresher and buildRetrievalFilter, and the
 * janitor service (its sweeper every simulated minute, its file.expired and project.deleted
 * handler) on a simulated clock. Events the services publish are delivered to the janitor's
 * handler at the simulated time they are published.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import {
  buildRetrievalFilter,
  createEvent,
  createFilesRepository,
  createKbFilesRepository,
  createMetrics,
  DEFAULT_TIERS,
  limitsOf,
  objectKey,
  type EventBus,
  type EventEnvelope,
  type KnowledgeBase,
  type TenantContext,
  type TierConfig,
} from '@jitkb/shared';
import { LocalObjectStore } from '../shared/src/adapters/local/local-object-store';
import { SqliteKnowledgeBase } from '../shared/src/adapters/local/sqlite-knowledge-base';
import { SqliteTableStore } from '../shared/src/adapters/local/sqlite-table-store';
import { createTtlRefresher, liveRecords } from '../services/chat/src/domain/file-ttl';
import { chunkText } from '../services/ingestion/src/domain/chunk';
import { createIngestFile } from '../services/ingestion/src/domain/ingest-file';
import { createIngestionMetrics } from '../services/ingestion/src/domain/ingestion-metrics';
import { createJanitorService } from '../services/janitor/src/app';
import { table, type BenchContext, type SectionResult } from './lib/context';
import { fmt, quantile } from './lib/stats';
import { histogram, lineChart } from './lib/svg';
import { MinHeap } from './lib/min-heap';
import { SyntheticEmbedder } from './lib/synthetic';
import {
  describeWorkload,
  generateEvents,
  workloadFor,
  type SimEvent,
  type SimProject,
} from './economics/workload';

const START_MS = Date.UTC(2025, 0, 1);
const SWEEP_SECONDS = 60;
const SAMPLE_SECONDS = 3600;

/** A bus that keeps what is published, for the simulation to deliver at simulated time. */
class CapturingBus implements EventBus {
  readonly published: EventEnvelope[] = [];
  async publish(event: EventEnvelope): Promise<void> {
    this.published.push(event);
  }
  consume(): never {
    throw new Error('the simulation delivers events itself');
  }
  async deadLetterDepth(): Promise<number> {
    return 0;
  }
}

interface Tally {
  questions: number;
  hits: number;
  expiredHits: number;
  probes: number;
  probesWithChunks: number;
  ingests: number;
  expiries: number;
  lags: number[];
  timeline: Array<{ day: number; jit: number; alwaysOn: number }>;
  byTier: Array<{ tier: string; ttlDays: number; jit: number; alwaysOn: number }>;
}

export async function runEconomics(context: BenchContext): Promise<SectionResult> {
  const workload = workloadFor(context.scale);
  // The smoke run's 3 days are shorter than any default ttl: its tiers expire within hours.
  const tiers: TierConfig = {
    tiers:
      context.scale === 'smoke'
        ? Object.fromEntries(
            Object.entries(DEFAULT_TIERS).map(([name, limits], i) => [
              name,
              { ...limits, ttlSeconds: 3600 * (i + 1) },
            ]),
          )
        : DEFAULT_TIERS,
    tenants: {},
  };
  const dir = path.join(context.tempDir, 'economics');
  mkdirSync(dir, { recursive: true });
  let simMs = START_MS;
  const now = () => new Date(simMs);
  const nowSeconds = () => Math.floor(simMs / 1000);
  const { log } = context;

  const tables = new SqliteTableStore({ path: path.join(dir, 'tables.db') });
  const objects = new LocalObjectStore({
    root: path.join(dir, 'objects'),
    secret: randomBytes(32).toString('base64url'),
    publicUrl: 'http://127.0.0.1:9',
  });
  const kbPath = path.join(dir, 'kb.db');
  const kb = new SqliteKnowledgeBase({ path: kbPath, log, embedder: new SyntheticEmbedder() });
  const reader = new Database(kbPath, { readonly: true });
  const counter = reader.prepare('SELECT count(*) AS n FROM kb_chunks');
  const bus = new CapturingBus();
  const files = createFilesRepository(tables, { now });
  const kbFiles = createKbFilesRepository(tables);
  const metrics = createMetrics('bench', { defaults: false });

  const tally: Tally = {
    questions: 0,
    hits: 0,
    expiredHits: 0,
    probes: 0,
    probesWithChunks: 0,
    ingests: 0,
    expiries: 0,
    lags: [],
    timeline: [],
    byTier: [],
  };
  /** The truth the checks use: each file's ttl as last written (and a heap of them by ttl). */
  const ttlOf = new Map<string, number>();
  const byTtl = new MinHeap<{ ttl: number; fileId: string }>((a, b) => a.ttl - b.ttl);
  const setTtl = (fileId: string, ttl: number) => {
    if (ttlOf.get(fileId) === ttl) return;
    ttlOf.set(fileId, ttl);
    byTtl.push({ ttl, fileId });
  };
  let expiring = false;
  const observed: KnowledgeBase = {
    ingest: (document) => kb.ingest(document),
    retrieve: (query, filter, options) => kb.retrieve(query, filter, options),
    countChunks: (fileId) => kb.countChunks(fileId),
    async delete(fileIds) {
      if (expiring) {
        for (const fileId of fileIds) {
          const ttl = ttlOf.get(fileId);
          if (ttl !== undefined) tally.lags.push(simMs / 1000 - ttl);
        }
      }
      await kb.delete(fileIds);
    },
  };
  const ingestFile = createIngestFile({
    files,
    kbFiles,
    objects,
    knowledgeBase: observed,
    bus,
    metrics: createIngestionMetrics(metrics),
    chunking: {},
    now,
  });
  const refresh = createTtlRefresher({ kbFiles, files, tiers, now });
  const janitor = createJanitorService({
    adapters: { tables, objects, bus },
    knowledgeBase: observed,
    log,
    metrics,
    sweepIntervalSeconds: SWEEP_SECONDS,
    holderId: 'bench-janitor',
    now,
  });

  const tenantOf = (p: SimProject): TenantContext => ({
    tenantId: p.tenantId,
    userId: 'user',
    email: undefined,
    tier: p.tier,
  });
  const fileIdsOf = (p: SimProject) => p.files.map((f) => f.fileId);
  const chunksOf = new Map<string, number>();
  let alwaysOn = 0;

  async function deliver(): Promise<void> {
    while (bus.published.length > 0) {
      const event = bus.published.shift()!;
      if (event.type !== 'file.expired' && event.type !== 'project.deleted') continue;
      expiring = event.type === 'file.expired';
      if (expiring) tally.expiries++;
      await janitor.handleEvent({ event, receiveCount: 1, correlationId: undefined });
      expiring = false;
    }
  }

  async function create(p: SimProject): Promise<void> {
    for (const file of p.files) {
      const key = objectKey(p.tenantId, p.projectId, file.fileId);
      const body = Buffer.from(file.text);
      await objects.put(key, body, 'text/plain');
      const ref = { tenantId: p.tenantId, projectId: p.projectId, fileId: file.fileId };
      await files.create({
        ...ref,
        name: `${file.fileId}.txt`,
        contentType: 'text/plain',
        size: body.length,
        objectKey: key,
      });
      await files.markUploaded(ref);
      // Always-on ingests every upload: its chunk count is the worker's chunking of the same text.
      const chunks = chunkText(file.text).length;
      chunksOf.set(file.fileId, chunks);
      alwaysOn += chunks;
    }
  }

  async function session(p: SimProject): Promise<void> {
    const ttlSeconds = limitsOf(tiers, p.tier).ttlSeconds;
    for (const record of await files.getMany(p.tenantId, p.projectId, fileIdsOf(p))) {
      if (record.status !== 'uploaded' && record.status !== 'expired') continue;
      if (!(await files.claimForIngestion(record))) continue;
      const result = await ingestFile({
        file: record,
        userId: 'user',
        tier: p.tier,
        ttlSeconds,
        correlationId: undefined,
        log,
      });
      if (result.outcome !== 'ready') continue;
      tally.ingests++;
      const written = await kbFiles.get(record.fileId);
      if (written) setTtl(written.fileId, written.ttl);
    }
  }

  /** Retrieves through the filter and counts hits from files whose ttl has passed. */
  async function retrieveChecked(p: SimProject, words: string): Promise<number> {
    const records = await kbFiles.getMany(fileIdsOf(p));
    const filter = buildRetrievalFilter(tenantOf(p), p.projectId, records, nowSeconds());
    const hits = await kb.retrieve(words, filter, { k: 5 });
    const stale = hits.filter((hit) => !((ttlOf.get(hit.fileId) ?? 0) > nowSeconds()));
    tally.expiredHits += stale.length;
    return hits.length;
  }

  async function question(p: SimProject, words: string): Promise<void> {
    const tenant = tenantOf(p);
    const live = liveRecords(
      tenant,
      p.projectId,
      await kbFiles.getMany(fileIdsOf(p)),
      nowSeconds(),
    );
    await refresh(tenant, live, log);
    for (const record of await kbFiles.getMany(live.map((r) => r.fileId)))
      setTtl(record.fileId, record.ttl);
    tally.questions++;
    tally.hits += await retrieveChecked(p, words);
  }

  async function remove(p: SimProject): Promise<void> {
    p.deleted = true;
    for (const fileId of fileIdsOf(p)) alwaysOn -= chunksOf.get(fileId) ?? 0;
    const event = createEvent('project.deleted', p.tenantId, { projectId: p.projectId });
    await bus.publish(event);
    await deliver();
  }

  /** Files whose ttl passed since the last sweep: a probe asks for their words before the sweep. */
  async function probes(to: number, projects: Map<string, SimProject>): Promise<void> {
    while (byTtl.peek() !== undefined && byTtl.peek()!.ttl < to) {
      const { fileId, ttl } = byTtl.pop()!;
      // An entry overtaken by a later refresh is stale.
      if (ttlOf.get(fileId) !== ttl) continue;
      const p = projects.get(fileId);
      if (!p || p.deleted) continue;
      simMs = Math.max(simMs, (ttl + 1) * 1000);
      tally.probes++;
      if ((await kb.countChunks(fileId)) > 0) tally.probesWithChunks++;
      const text = p.files.find((f) => f.fileId === fileId)!.text;
      await retrieveChecked(p, text.split(' ').slice(0, 6).join(' '));
    }
  }

  const events = generateEvents(workload, (tier) => limitsOf(tiers, tier).maxFilesPerProject);
  const projectOfFile = new Map<string, SimProject>();
  const horizon = workload.days * 86_400;
  const wallStart = performance.now();
  let nextSweep = SWEEP_SECONDS;
  let nextSample = 0;
  let e = 0;
  context.say(`economics: ${events.length} workload events over ${workload.days} simulated days`);
  while (nextSweep <= horizon || e < events.length) {
    const event: SimEvent | undefined = events[e];
    const until = Math.min(event?.at ?? Infinity, horizon);
    // Sweeps and samples due before the next event, in time order.
    while (nextSweep <= until || nextSample <= until) {
      if (nextSample <= nextSweep) {
        simMs = START_MS + nextSample * 1000;
        tally.timeline.push({
          day: nextSample / 86_400,
          jit: (counter.get() as { n: number }).n,
          alwaysOn,
        });
        nextSample += SAMPLE_SECONDS;
        continue;
      }
      await probes(START_MS / 1000 + nextSweep, projectOfFile);
      simMs = START_MS + nextSweep * 1000;
      await janitor.sweeper.sweepOnce();
      await deliver();
      nextSweep += SWEEP_SECONDS;
      if (nextSweep % (86_400 * 5) === 0)
        context.say(
          `economics: day ${nextSweep / 86_400} (${fmt((performance.now() - wallStart) / 1000)} s)`,
        );
    }
    if (!event || event.at > horizon) break;
    simMs = START_MS + event.at * 1000;
    const p = event.project;
    if (event.kind === 'create') {
      for (const f of p.files) projectOfFile.set(f.fileId, p);
      await create(p);
    } else if (p.deleted) {
      // nothing: the project is gone
    } else if (event.kind === 'session') await session(p);
    else if (event.kind === 'question') await question(p, event.words);
    else await remove(p);
    e++;
  }
  const wallSeconds = (performance.now() - wallStart) / 1000;
  const tierOfTenant = new Map(events.map((ev) => [ev.project.tenantId, ev.project.tier]));
  const byTier = new Map<string, { jit: number; alwaysOn: number }>();
  const tierRow = (tier: string) =>
    byTier.get(tier) ?? byTier.set(tier, { jit: 0, alwaysOn: 0 }).get(tier)!;
  for (const row of reader
    .prepare('SELECT tenant_id AS t, count(*) AS n FROM kb_chunks GROUP BY tenant_id')
    .all() as Array<{ t: string; n: number }>) {
    tierRow(tierOfTenant.get(row.t) ?? '?').jit += row.n;
  }
  for (const ev of events) {
    if (ev.kind !== 'create' || ev.project.deleted || ev.at > horizon) continue;
    for (const f of ev.project.files)
      tierRow(ev.project.tier).alwaysOn += chunksOf.get(f.fileId) ?? 0;
  }
  tally.byTier = [...byTier].map(([tier, v]) => ({
    tier,
    ttlDays: limitsOf(tiers, tier).ttlSeconds / 86_400,
    ...v,
  }));
  reader.close();
  await kb.close();
  await tables.close();
  return report(context, workload, tally, wallSeconds);
}

function report(
  context: BenchContext,
  workload: ReturnType<typeof workloadFor>,
  tally: Tally,
  wallSeconds: number,
): SectionResult {
  const last = tally.timeline[tally.timeline.length - 1]!;
  const meanRatio = (() => {
    const points = tally.timeline.filter((p) => p.alwaysOn > 0);
    return (
      points.reduce((s, p) => s + p.jit, 0) /
      Math.max(
        1,
        points.reduce((s, p) => s + p.alwaysOn, 0),
      )
    );
  })();
  const endRatio = last.alwaysOn > 0 ? last.jit / last.alwaysOn : 0;
  const peakJit = Math.max(...tally.timeline.map((p) => p.jit));
  const lagMax = tally.lags.length > 0 ? Math.max(...tally.lags) : Number.NaN;
  const lagRows = [0.5, 0.9, 0.99, 1].map((q) => [
    q === 1 ? 'max' : `p${Math.round(q * 100)}`,
    fmt(quantile(tally.lags, q), 1),
  ]);
  const days = workload.days;
  context.say(
    `economics: resident ${fmt(endRatio * 100, 1)} % of always-on at day ${days} (${fmt(meanRatio * 100, 1)} % on average); expiry lag max ${fmt(lagMax, 1)} s; ${tally.expiredHits} hits from expired files`,
  );
  const markdown = [
    'Workload model:',
    '',
    ...describeWorkload(workload),
    `- Clock: simulated; the janitor's sweeper runs every ${SWEEP_SECONDS} simulated seconds (one replica holding the lease) and what it publishes reaches the janitor's handler at once. Resident chunks are counted in the knowledge base every simulated hour. ${days} days ran in ${fmt(wallSeconds)} s of wall time (${fmt((days * 86_400) / wallSeconds, 0)}× compression).`,
    `- Probes: for every file whose ttl passed, one retrieval of its own words between its ttl and the next sweep, while its chunks are still in the knowledge base, through buildRetrievalFilter.`,
    '',
    table(
      ['figure', 'value'],
      [
        ['just-in-time ingestions (first and repeated)', tally.ingests],
        ['files expired by the janitor', tally.expiries],
        [
          `resident chunks at day ${days}: just-in-time / always-on`,
          `${last.jit} / ${last.alwaysOn} = ${fmt(endRatio * 100, 1)} %`,
        ],
        [
          'resident chunks, time average over the month',
          `${fmt(meanRatio * 100, 1)} % of always-on`,
        ],
        ['peak resident chunks (just-in-time)', peakJit],
        [
          'questions asked (each through buildRetrievalFilter)',
          `${tally.questions}, ${tally.hits} hits`,
        ],
        [
          'probes of just-expired files',
          `${tally.probes} (${tally.probesWithChunks} while their chunks were still stored)`,
        ],
        ['hits from files whose ttl had passed', tally.expiredHits],
      ],
    ),
    '',
    `Resident chunks at day ${days} by tier:`,
    '',
    table(
      ['tier', 'ttl (days)', 'just-in-time', 'always-on', 'ratio'],
      tally.byTier.map((t) => [
        t.tier,
        fmt(t.ttlDays, 2),
        t.jit,
        t.alwaysOn,
        `${fmt((t.jit / Math.max(1, t.alwaysOn)) * 100, 1)} %`,
      ]),
    ),
    '',
    `Expiry lag, from a file's ttl to the removal of its chunks (simulated seconds, ${tally.lags.length} expiries):`,
    '',
    table(['quantile', 'seconds'], lagRows),
    '',
    'Always-on grows with every upload, while just-in-time holds only what was chatted with within its ttl; ' +
      'with ttls of 30 and 90 days (standard, premium) most chatted files of the month are still resident at its end, ' +
      'so the ratio is still falling when the month ends.',
  ].join('\n');
  return {
    id: 'economics',
    title: 'Just-in-time economics (simulated month)',
    markdown,
    charts: [
      {
        file: 'economics-resident.svg',
        alt: 'resident chunks over time, just-in-time against always-on',
        svg: lineChart({
          title: 'Resident chunks',
          xLabel: 'day',
          yLabel: 'chunks',
          x: tally.timeline.map((p) => p.day),
          series: [
            { name: 'always-on', values: tally.timeline.map((p) => p.alwaysOn) },
            { name: 'just-in-time', values: tally.timeline.map((p) => p.jit) },
          ],
        }),
      },
      {
        file: 'economics-expiry-lag.svg',
        alt: 'distribution of expiry lag',
        svg: histogram({
          title: 'Expiry lag: ttl to removal (simulated s)',
          xLabel: 'lag (s)',
          values: tally.lags,
        }),
      },
    ],
    targets: [
      {
        name: `resident chunks vs always-on (day ${days})`,
        target: '<= 15 %',
        measured: `${fmt(endRatio * 100, 1)} % (time average ${fmt(meanRatio * 100, 1)} %)`,
        met: context.scale === 'smoke' ? undefined : endRatio <= 0.15,
      },
      {
        name: 'expiry lag (max)',
        target: '<= 60 s',
        measured: `${fmt(lagMax, 1)} s`,
        met: tally.lags.length > 0 ? lagMax <= 60 : undefined,
      },
      {
        name: 'answers drawn from expired files',
        target: '0',
        measured: String(tally.expiredHits),
        met: tally.expiredHits === 0,
      },
    ],
    data: {
      workload,
      tally: { ...tally, lags: undefined, timeline: undefined },
      endRatio,
      meanRatio,
      wallSeconds,
    },
  };
}
