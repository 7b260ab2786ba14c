/*
 * Resident chunks from the schedule by the ttl rules alone, without the services: what the
 * simulation should find if ingestion, the chat's refresher, the sweeper and the janitor do what
 * their rules say. Each project is independent, so it is walked on its own:
 *
 * - a session ingests each file that is not in the knowledge base, with ttl = its second + the
 *   tier's ttl;
 * - a question refreshes each file whose ttl is still ahead of its second to that second + ttl,
 *   unless the ttl is already within the refresh interval of it (refreshIntervalSeconds);
 * - the sweeper, every sweep interval from the start, removes a file at the first sweep at or
 *   after its ttl; a file past its ttl but not yet swept is neither ingested again nor refreshed;
 * - a deletion removes the project's files from both the knowledge base and always-on.
 *
 * Resident at a sample time counts what the events and sweeps before it left, as the simulation
 * samples before the sweep and the events of the same instant.
 */
import { refreshIntervalSeconds } from '../../services/chat/src/domain/file-ttl';
import type { Corpus, Schedule } from './workload';

export interface RulesOptions {
  chatShare: number;
  ttlSeconds: (tier: string) => number;
  /** The clock's origin in epoch milliseconds: seconds are floored as the services floor them. */
  startMs: number;
  sweepSeconds: number;
  sampleSeconds: number;
  /** Samples from 0 to this many seconds. */
  until: number;
}

/** Resident chunks per tier at every sample time, just-in-time and always-on. */
export interface Residency {
  sampleSeconds: number;
  tiers: string[];
  jit: Map<string, Float64Array>;
  alwaysOn: Map<string, Float64Array>;
}

export interface WindowFigures {
  /** Resident chunks at the window's last sample. */
  end: { jit: number; alwaysOn: number };
  endRatio: number;
  /** Sum of just-in-time over sum of always-on, over the window's samples. */
  meanRatio: number;
  byTier: Array<{ tier: string; jit: number; alwaysOn: number }>;
}

export function residencyByRules(
  schedule: Schedule,
  corpus: Corpus,
  options: RulesOptions,
): Residency {
  const { sampleSeconds, sweepSeconds, until } = options;
  const samples = Math.floor(until / sampleSeconds) + 1;
  const residency: Residency = { sampleSeconds, tiers: [], jit: new Map(), alwaysOn: new Map() };
  const series = (map: Map<string, Float64Array>, tier: string) => {
    if (!residency.tiers.includes(tier)) residency.tiers.push(tier);
    return map.get(tier) ?? map.set(tier, new Float64Array(samples + 1)).get(tier)!;
  };
  /** Adds `chunks` to the samples at times t with from < t <= to (a difference array). */
  const hold = (diff: Float64Array, from: number, to: number, chunks: number) => {
    const first = Math.floor(from / sampleSeconds) + 1;
    const last = Math.min(samples - 1, Math.floor(to / sampleSeconds));
    if (first > last) return;
    diff[first]! += chunks;
    diff[last + 1]! -= chunks;
  };
  const startSeconds = options.startMs / 1000;
  const secondOf = (at: number) => Math.floor((options.startMs + at * 1000) / 1000) - startSeconds;
  const sweptAt = (ttl: number) => Math.max(1, Math.ceil(ttl / sweepSeconds)) * sweepSeconds;

  for (const project of schedule.projects) {
    if (project.createdAt >= until) continue;
    const jit = series(residency.jit, project.tier);
    const alwaysOn = series(residency.alwaysOn, project.tier);
    const gone = project.deletedAt ?? Infinity;
    const chunks = project.files.map((file) => corpus.chunks(file));
    chunks.forEach((n) => hold(alwaysOn, project.createdAt, gone, n));
    if (!(project.chatDraw < options.chatShare)) continue;

    const ttlSeconds = options.ttlSeconds(project.tier);
    const interval = refreshIntervalSeconds(ttlSeconds);
    // Per file: when it entered the knowledge base and its ttl, or undefined when out of it.
    const held: Array<{ from: number; ttl: number } | undefined> = chunks.map(() => undefined);
    const sweep = (now: number) =>
      held.forEach((h, i) => {
        if (h && sweptAt(h.ttl) <= now) {
          hold(jit, h.from, sweptAt(h.ttl), chunks[i]!);
          held[i] = undefined;
        }
      });
    // A session's questions can outlast the start of the next session: one timeline per project.
    const steps = project.sessions
      .flatMap((session) => [
        { at: session.at, refresh: false },
        ...session.questions.map((q) => ({ at: q.at, refresh: true })),
      ])
      .sort((a, b) => a.at - b.at);
    for (const step of steps) {
      if (step.at >= until || step.at >= gone) break;
      sweep(step.at);
      const now = secondOf(step.at);
      held.forEach((h, i) => {
        if (!step.refresh) held[i] = h ?? { from: step.at, ttl: now + ttlSeconds };
        else if (h && h.ttl > now && h.ttl < now + ttlSeconds - interval) h.ttl = now + ttlSeconds;
      });
    }
    held.forEach((h, i) => {
      if (h) hold(jit, h.from, Math.min(sweptAt(h.ttl), gone), chunks[i]!);
    });
  }
  for (const map of [residency.jit, residency.alwaysOn]) {
    for (const diff of map.values()) for (let k = 1; k < diff.length; k++) diff[k]! += diff[k - 1]!;
  }
  return residency;
}

/** The figures of the samples from `from` to `to` seconds, both included. */
export function windowFigures(residency: Residency, from: number, to: number): WindowFigures {
  const first = Math.round(from / residency.sampleSeconds);
  const last = Math.round(to / residency.sampleSeconds);
  const total = (map: Map<string, Float64Array>, k: number) =>
    [...map.values()].reduce((sum, values) => sum + values[k]!, 0);
  let jitSum = 0;
  let alwaysOnSum = 0;
  for (let k = first; k <= last; k++) {
    const alwaysOn = total(residency.alwaysOn, k);
    if (alwaysOn === 0) continue;
    jitSum += total(residency.jit, k);
    alwaysOnSum += alwaysOn;
  }
  const end = { jit: total(residency.jit, last), alwaysOn: total(residency.alwaysOn, last) };
  return {
    end,
    endRatio: end.alwaysOn > 0 ? end.jit / end.alwaysOn : 0,
    meanRatio: alwaysOnSum > 0 ? jitSum / alwaysOnSum : 0,
    byTier: residency.tiers.map((tier) => ({
      tier,
      jit: residency.jit.get(tier)![last]!,
      alwaysOn: residency.alwaysOn.get(tier)![last]!,
    })),
  };
}
