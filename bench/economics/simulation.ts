/*
 * The schedule run through the real pieces on a simulated clock: the SQLite table store with the
 * files and kb-files repositories, the local object store, the local knowledge base (synthetic
 * vectors: the model is not what is measured here), the ingestion worker's ingestFile, the chat's
 * ttl refresher and buildRetrievalFilter, and the janitor service (its sweeper on the minute, its
 * file.expired and project.deleted handler). Events the services publish are delivered to the
 * janitor's handler at the simulated time they are published.
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
  limitsOf,
  objectKey,
  type EventBus,
  type EventEnvelope,
  type KnowledgeBase,
  type TenantContext,
  type TierConfig,
} from '@jitkb/shared';
import { LocalObjectStore } from '../../shared/src/adapters/local/local-object-store';
import { SqliteKnowledgeBase } from '../../shared/src/adapters/local/sqlite-knowledge-base';
import { SqliteTableStore } from '../../shared/src/adapters/local/sqlite-table-store';
import {
  createTtlRefresher,
  liveRecords,
  refreshIntervalSeconds,
} from '../../services/chat/src/domain/file-ttl';
import { createIngestFile } from '../../services/ingestion/src/domain/ingest-file';
import { createIngestionMetrics } from '../../services/ingestion/src/domain/ingestion-metrics';
import { createJanitorService } from '../../services/janitor/src/app';
import type { BenchContext } from '../lib/context';
import { MinHeap } from '../lib/min-heap';
import { fmt } from '../lib/stats';
import { SyntheticEmbedder } from '../lib/synthetic';
import { createLedger, type Ledger } from './ledger';
import { DAY, eventsOf, type Corpus, type Schedule, type SimProject } from './workload';

export const START_MS = Date.UTC(2025, 0, 1);
export const SWEEP_SECONDS = 60;
export const SAMPLE_SECONDS = 3600;

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

export interface SimulationOptions {
  context: BenchContext;
  schedule: Schedule;
  corpus: Corpus;
  tiers: TierConfig;
  chatShare: number;
  /** Seconds from the start to the end of the run. */
  horizon: number;
  /**
   * The measured months, [from, to] in seconds. In a checked one questions retrieve and probes
   * run; outside the checked ones a question whose refresh the next one overtakes is skipped.
   */
  windows: Array<{ from: number; to: number; checked: boolean }>;
}

export async function simulate(options: SimulationOptions) {
  const { context, schedule, corpus, tiers, horizon } = options;
  const { log } = context;
  const dir = path.join(context.tempDir, 'economics');
  mkdirSync(dir, { recursive: true });
  let simMs = START_MS;
  const now = () => new Date(simMs);
  const nowSeconds = () => Math.floor(simMs / 1000);

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
  const byTenant = reader.prepare(
    'SELECT tenant_id AS t, count(*) AS n FROM kb_chunks GROUP BY tenant_id',
  );
  const bus = new CapturingBus();
  const files = createFilesRepository(tables, { now });
  const kbFiles = createKbFilesRepository(tables);
  const metrics = createMetrics('bench', { defaults: false });
  const ledger: Ledger = createLedger(options.windows);
  let questionsSkipped = 0;
  let uploadsSkipped = 0;
  const checkedFrom = Math.min(...options.windows.filter((w) => w.checked).map((w) => w.from));

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
    retrieve: (query, filter, opts) => kb.retrieve(query, filter, opts),
    countChunks: (fileId) => kb.countChunks(fileId),
    async delete(fileIds) {
      if (expiring) {
        for (const fileId of fileIds) {
          const ttl = ttlOf.get(fileId);
          if (ttl !== undefined)
            ledger.at(simMs / 1000 - START_MS / 1000)?.lags.push(simMs / 1000 - ttl);
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
  const deleted = new Set<string>();
  const alwaysOn = new Map<string, number>();
  const addAlwaysOn = (tier: string, n: number) =>
    alwaysOn.set(tier, (alwaysOn.get(tier) ?? 0) + n);
  const tierOfTenant = new Map(schedule.projects.map((p) => [p.tenantId, p.tier]));

  async function deliver(): Promise<void> {
    while (bus.published.length > 0) {
      const event = bus.published.shift()!;
      if (event.type !== 'file.expired' && event.type !== 'project.deleted') continue;
      expiring = event.type === 'file.expired';
      if (expiring) {
        const tally = ledger.at(simMs / 1000 - START_MS / 1000);
        if (tally) tally.expiries++;
      }
      await janitor.handleEvent({ event, receiveCount: 1, correlationId: undefined });
      expiring = false;
    }
  }

  async function create(p: SimProject, at: number): Promise<void> {
    // Before the checked month, files that no session will ever read are counted, not stored.
    if (!(p.chatDraw < options.chatShare) && at < checkedFrom) {
      for (const file of p.files) addAlwaysOn(p.tier, corpus.chunks(file));
      uploadsSkipped += p.files.length;
      return;
    }
    for (const file of p.files) {
      const key = objectKey(p.tenantId, p.projectId, file.fileId);
      const text = corpus.text(file);
      const body = Buffer.from(text);
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
      addAlwaysOn(p.tier, corpus.chunks(file, text));
    }
  }

  async function session(p: SimProject, at: number): Promise<void> {
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
      const tally = ledger.at(at);
      if (tally) tally.ingests++;
      const written = await kbFiles.get(record.fileId);
      if (written) setTtl(written.fileId, written.ttl);
    }
  }

  /** Retrieves through the filter and counts hits from files whose ttl has passed. */
  async function retrieveChecked(p: SimProject, words: string, at: number): Promise<number> {
    const records = await kbFiles.getMany(fileIdsOf(p));
    const filter = buildRetrievalFilter(tenantOf(p), p.projectId, records, nowSeconds());
    const hits = await kb.retrieve(words, filter, { k: 5 });
    const stale = hits.filter((hit) => !((ttlOf.get(hit.fileId) ?? 0) > nowSeconds()));
    ledger.checkedAt(at)!.expiredHits += stale.length;
    return hits.length;
  }

  /**
   * Whether the session's next question, at `next`, leaves the files exactly as this one and the
   * next together would: it refreshes every file this one would (their ttls are all past the
   * next one's second, so none expires in between) and moves their ttl (the seconds are more than
   * the refresh interval apart). Then this question's refresh changes nothing that lasts.
   */
  function overtaken(p: SimProject, at: number, next: number): boolean {
    const second = Math.floor((START_MS + at * 1000) / 1000);
    const nextSecond = Math.floor((START_MS + next * 1000) / 1000);
    const interval = refreshIntervalSeconds(limitsOf(tiers, p.tier).ttlSeconds);
    if (nextSecond - second <= interval) return false;
    return p.files.every((f) => {
      const ttl = ttlOf.get(f.fileId);
      return ttl === undefined || ttl <= second || ttl > nextSecond;
    });
  }

  async function question(
    p: SimProject,
    words: () => string,
    at: number,
    next: number | undefined,
    retrieve: boolean,
  ): Promise<void> {
    const tally = ledger.checkedAt(at);
    if (!tally && next !== undefined && overtaken(p, at, next)) {
      questionsSkipped++;
      return;
    }
    const tenant = tenantOf(p);
    const fileIds = fileIdsOf(p);
    const live = liveRecords(tenant, p.projectId, await kbFiles.getMany(fileIds), nowSeconds());
    await refresh(tenant, live, log);
    for (const record of await kbFiles.getMany(live.map((r) => r.fileId)))
      setTtl(record.fileId, record.ttl);
    if (!tally) return;
    tally.questions++;
    if (!retrieve) return;
    tally.retrieved++;
    tally.hits += await retrieveChecked(p, words(), at);
  }

  async function remove(p: SimProject): Promise<void> {
    deleted.add(p.projectId);
    for (const file of p.files) addAlwaysOn(p.tier, -corpus.chunks(file));
    await bus.publish(createEvent('project.deleted', p.tenantId, { projectId: p.projectId }));
    await deliver();
  }

  /** Whether some kb-files record's ttl is at or before `at` (epoch seconds). */
  function due(at: number): boolean {
    for (let top = byTtl.peek(); top && ttlOf.get(top.fileId) !== top.ttl; top = byTtl.peek())
      byTtl.pop();
    const top = byTtl.peek();
    return top !== undefined && top.ttl <= at;
  }

  /** Files whose ttl passed since the last sweep: a probe asks for their words before the sweep. */
  async function probes(to: number): Promise<void> {
    while (byTtl.peek() !== undefined && byTtl.peek()!.ttl < to) {
      const { fileId, ttl } = byTtl.pop()!;
      // An entry overtaken by a later refresh is stale.
      if (ttlOf.get(fileId) !== ttl) continue;
      const p = projectOfFile.get(fileId);
      const tally = ledger.checkedAt(ttl - START_MS / 1000);
      if (!p || deleted.has(p.projectId) || !tally) continue;
      simMs = Math.max(simMs, (ttl + 1) * 1000);
      tally.probes++;
      if ((await kb.countChunks(fileId)) > 0) tally.probesWithChunks++;
      const text = corpus.text(p.files.find((f) => f.fileId === fileId)!);
      await retrieveChecked(p, text.split(' ').slice(0, 6).join(' '), ttl - START_MS / 1000);
    }
  }

  const events = eventsOf(schedule, options.chatShare, horizon);
  const projectOfFile = new Map<string, SimProject>();
  const timeline: Array<{ day: number; jit: number; alwaysOn: number }> = [];
  const sweeps = { run: 0, skipped: 0 };
  const total = () => [...alwaysOn.values()].reduce((a, b) => a + b, 0);
  const wallStart = performance.now();
  let nextSweep = SWEEP_SECONDS;
  let nextSample = 0;
  let e = 0;
  context.say(`economics: ${events.length} workload events over ${horizon / DAY} simulated days`);
  while (nextSweep <= horizon || e < events.length) {
    const event = events[e];
    const until = Math.min(event?.at ?? Infinity, horizon);
    // Sweeps and samples due before the next event, in time order.
    while (nextSweep <= until || nextSample <= until) {
      if (nextSample <= nextSweep) {
        simMs = START_MS + nextSample * 1000;
        timeline.push({
          day: nextSample / DAY,
          jit: (counter.get() as { n: number }).n,
          alwaysOn: total(),
        });
        const ending = ledger.endingAt(nextSample);
        if (ending) {
          for (const row of byTenant.all() as Array<{ t: string; n: number }>) {
            const tier = tierOfTenant.get(row.t) ?? '?';
            ending.jitByTier.set(tier, (ending.jitByTier.get(tier) ?? 0) + row.n);
          }
          ending.alwaysOnByTier = new Map(alwaysOn);
        }
        nextSample += SAMPLE_SECONDS;
        continue;
      }
      const sweepAt = START_MS / 1000 + nextSweep;
      // A sweep with no ttl at or before it finds nothing: its only effect is the lease renewal.
      const needed = due(sweepAt);
      await probes(sweepAt);
      if (needed) {
        simMs = sweepAt * 1000;
        await janitor.sweeper.sweepOnce();
        await deliver();
        sweeps.run++;
      } else sweeps.skipped++;
      nextSweep += SWEEP_SECONDS;
      if (nextSweep % (DAY * 10) === 0)
        context.say(
          `economics: day ${nextSweep / DAY} (${fmt((performance.now() - wallStart) / 1000)} s)`,
        );
    }
    if (!event || event.at > horizon) break;
    simMs = START_MS + event.at * 1000;
    const p = event.project;
    if (event.kind === 'create') {
      for (const f of p.files) projectOfFile.set(f.fileId, p);
      await create(p, event.at);
    } else if (deleted.has(p.projectId)) {
      // nothing: the project is gone
    } else if (event.kind === 'session') await session(p, event.at);
    else if (event.kind === 'question') {
      // In the checked month each session's first question retrieves through the filter.
      const words = () => corpus.words(p, event.question);
      await question(p, words, event.at, event.next, event.index === 0);
    } else await remove(p);
    e++;
  }
  const wallSeconds = (performance.now() - wallStart) / 1000;
  reader.close();
  await kb.close();
  await tables.close();
  return {
    timeline,
    windows: ledger.windows,
    sweeps,
    questionsSkipped,
    uploadsSkipped,
    events: events.length,
    wallSeconds,
  };
}

export type SimulationResult = Awaited<ReturnType<typeof simulate>>;
