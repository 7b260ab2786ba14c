import {
  createEvent,
  type EventBus,
  type KbFileRecord,
  type KbFilesRepository,
  type LeasesRepository,
  type Logger,
} from '@jitkb/shared';
import type { JanitorMetrics } from './janitor-metrics';

/** The lease that elects the one sweeping replica. */
export const SWEEPER_LEASE = 'janitor-sweeper';

export interface SweeperOptions {
  kbFiles: KbFilesRepository;
  leases: LeasesRepository;
  bus: EventBus;
  log: Logger;
  metrics: JanitorMetrics;
  /** This replica's name in the lease table; unique per process. */
  holderId: string;
  intervalSeconds: number;
  /**
   * How long the lease lasts without renewal (default three intervals, at least 10 s): the holder
   * keeps it from one sweep to the next, and a replica that died frees it soon after.
   */
  leaseSeconds?: number;
  /** Expired records read per query (default 100). */
  pageSize?: number;
  now?: () => Date;
}

export type SweepResult =
  | { outcome: 'swept'; published: number }
  /** Another replica holds the lease; this one did nothing. */
  | { outcome: 'standby' }
  /** The lease was lost part-way (this replica stalled past its expiry); the rest is left. */
  | { outcome: 'lease-lost'; published: number };

export interface Sweeper {
  readonly holderId: string;
  /** Sweeps now, then every interval, until stopped. */
  start(): void;
  /** One pass: takes or renews the lease, then sweeps every expiry shard. */
  sweepOnce(): Promise<SweepResult>;
  /** Stops the timer, waits for a pass in flight, and releases the lease. */
  stop(): Promise<void>;
}

class LeaseLost extends Error {}

/**
 * The sweeper: expired kb-files records that are still present (DynamoDB's TTL may take days, and
 * the embedded store has none) become `file.expired` events. It queries each shard of the
 * byExpiry index for `ttl <= now`, never scanning, and only the replica holding the lease acts.
 *
 * Each record is published before it is deleted (with a condition that its ttl is still past):
 * if the process dies in between, the next pass publishes it again, and the handler is
 * idempotent. The other order could delete a record and then fail to publish, leaving chunks in
 * the knowledge base that nothing would ever remove. A refresh that lands in between wins: the
 * delete fails, and the handler finds the new ttl and acknowledges the event as stale.
 */
export function createSweeper(options: SweeperOptions): Sweeper {
  const { kbFiles, leases, bus, log, metrics, holderId } = options;
  const clock = options.now ?? (() => new Date());
  const intervalMs = options.intervalSeconds * 1000;
  const leaseMs = (options.leaseSeconds ?? Math.max(options.intervalSeconds * 3, 10)) * 1000;
  const pageSize = options.pageSize ?? 100;
  const nowSeconds = () => Math.floor(clock().getTime() / 1000);

  let timer: NodeJS.Timeout | undefined;
  let inFlight: Promise<unknown> | undefined;
  let stopped = false;
  let leader = false;

  function setLeader(value: boolean): void {
    if (value !== leader) log.info({ holderId, leader: value }, 'sweeper lease changed hands');
    leader = value;
    metrics.sweeperLeader.set(value ? 1 : 0);
  }

  async function renew(): Promise<void> {
    if (!(await leases.renew(SWEEPER_LEASE, holderId, leaseMs))) throw new LeaseLost();
  }

  async function expire(record: KbFileRecord): Promise<void> {
    const event = createEvent('file.expired', record.tenantId, {
      projectId: record.projectId,
      fileId: record.fileId,
    });
    await bus.publish(event, { correlationId: event.id });
    const now = nowSeconds();
    const removed = await kbFiles.deleteIfExpired(record.fileId, now);
    if (removed) metrics.expiryLag.observe({ path: 'sweeper' }, Math.max(0, now - removed.ttl));
  }

  /** Publishes every expired record of one shard, counting them in `progress`. */
  async function sweepShard(shard: string, progress: { published: number }): Promise<void> {
    // Index reads may trail the deletes (DynamoDB's are eventually consistent): a record seen
    // once in this pass is not published again; if it is still there, the next pass has it.
    const seen = new Set<string>();
    for (;;) {
      const page = await kbFiles.queryExpired(shard, nowSeconds(), pageSize);
      const fresh = page.filter((record) => !seen.has(record.fileId));
      for (const record of fresh) {
        seen.add(record.fileId);
        await expire(record);
        progress.published += 1;
      }
      if (page.length < pageSize || fresh.length === 0) return;
      await renew();
    }
  }

  async function sweepOnce(): Promise<SweepResult> {
    if (!(await leases.acquire(SWEEPER_LEASE, holderId, leaseMs))) {
      setLeader(false);
      metrics.sweeps.inc({ outcome: 'standby' });
      return { outcome: 'standby' };
    }
    setLeader(true);
    const progress = { published: 0 };
    try {
      for (const shard of kbFiles.shards) {
        if (stopped) break;
        await sweepShard(shard, progress);
        await renew();
      }
    } catch (error) {
      if (!(error instanceof LeaseLost)) throw error;
      setLeader(false);
      metrics.sweeps.inc({ outcome: 'lease-lost' });
      const { published } = progress;
      log.warn({ holderId, published }, 'sweeper lease lost part-way; leaving the rest');
      return { outcome: 'lease-lost', published };
    }
    const { published } = progress;
    metrics.sweeps.inc({ outcome: 'swept' });
    if (published > 0) log.info({ published }, 'sweep published expired files');
    return { outcome: 'swept', published };
  }

  async function tick(): Promise<void> {
    try {
      await sweepOnce();
    } catch (error) {
      metrics.sweeps.inc({ outcome: 'failed' });
      log.error({ err: error }, 'sweep failed; the next one tries again');
    }
  }

  function schedule(delayMs: number): void {
    if (stopped) return;
    timer = setTimeout(() => {
      const pass = tick();
      inFlight = pass;
      void pass.finally(() => schedule(intervalMs));
    }, delayMs);
  }

  return {
    holderId,
    start() {
      if (timer || stopped) return;
      schedule(0);
    },
    sweepOnce,
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      await inFlight;
      if (await leases.release(SWEEPER_LEASE, holderId)) log.info({ holderId }, 'lease released');
      setLeader(false);
    },
  };
}
