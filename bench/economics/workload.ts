/*
 * The workload of the just-in-time economics simulation: tenants with a tier, transitory
 * projects arriving at random, files uploaded with each project, chat sessions while a project is
 * active, late revisits, and projects that their users delete. Generated up front from a seed as
 * a time-ordered list of events; documented in docs/benchmarks.md from `describeWorkload`.
 */
import { Rng, ZipfVocabulary } from '../lib/synthetic';

const DAY = 86_400;

export interface Workload {
  tenants: number;
  days: number;
  /** Tier shares, in order; the tiers are the product's defaults. */
  tierMix: Array<[tier: string, share: number]>;
  /** New projects per tenant per day (a Poisson process). */
  projectsPerTenantDay: number;
  /** Files uploaded with a project: 1 + Poisson(mean - 1), capped by the tier. */
  meanFiles: number;
  /** How long a project is in use (exponential), in days. */
  activeMeanDays: number;
  /** Share of projects that anyone ever chats with; the rest are only stored. */
  chatShare: number;
  /** Chat sessions per day while a chatted project is active (the first one within 12 hours). */
  sessionsPerDay: number;
  questionsPerSession: number;
  /** Share of chatted projects that someone comes back to once, later in the month. */
  revisitShare: number;
  /** Share of projects whose users delete them when they are done. */
  deleteShare: number;
  /** Words per document (small documents, one or two chunks). */
  wordsPerFile: number;
}

export function workloadFor(scale: 'full' | 'quick' | 'smoke'): Workload {
  return {
    tenants: scale === 'full' ? 1000 : scale === 'quick' ? 300 : 20,
    days: scale === 'smoke' ? 3 : 30,
    tierMix: [
      ['free', 0.6],
      ['standard', 0.3],
      ['premium', 0.1],
    ],
    projectsPerTenantDay: scale === 'smoke' ? 1 : 0.25,
    meanFiles: 4,
    activeMeanDays: scale === 'smoke' ? 0.5 : 3,
    chatShare: 0.5,
    sessionsPerDay: 1,
    questionsPerSession: 3,
    revisitShare: 0.2,
    deleteShare: 0.25,
    wordsPerFile: 120,
  };
}

export interface SimFile {
  fileId: string;
  text: string;
}

export interface SimProject {
  tenantId: string;
  tier: string;
  projectId: string;
  files: SimFile[];
  deleted: boolean;
}

export type SimEvent =
  | { at: number; kind: 'create'; project: SimProject }
  | { at: number; kind: 'session'; project: SimProject }
  | { at: number; kind: 'question'; project: SimProject; words: string }
  | { at: number; kind: 'delete'; project: SimProject };

function poisson(rng: Rng, mean: number): number {
  let n = 0;
  for (let p = Math.exp(-mean), s = p, u = rng.next(); u > s; n++) {
    p *= mean / (n + 1);
    s += p;
  }
  return n;
}

function tierOf(rng: Rng, mix: Workload['tierMix']): string {
  let u = rng.next();
  for (const [tier, share] of mix) if ((u -= share) < 0) return tier;
  return mix[mix.length - 1]![0];
}

/** Every event of the month, in time order (seconds from the start). */
export function generateEvents(w: Workload, maxFiles: (tier: string) => number): SimEvent[] {
  const rng = new Rng(4242);
  const vocabulary = new ZipfVocabulary(20_000);
  const horizon = w.days * DAY;
  const events: SimEvent[] = [];
  let fileSeq = 0;
  for (let t = 0; t < w.tenants; t++) {
    const tenantId = `tenant-${t}`;
    const tier = tierOf(rng, w.tierMix);
    let p = 0;
    for (
      let at = rng.exponential(DAY / w.projectsPerTenantDay);
      at < horizon;
      at += rng.exponential(DAY / w.projectsPerTenantDay)
    ) {
      const count = Math.min(maxFiles(tier), 1 + poisson(rng, w.meanFiles - 1));
      const project: SimProject = {
        tenantId,
        tier,
        projectId: `project-${t}-${p++}`,
        files: Array.from({ length: count }, () => ({
          fileId: `file-${fileSeq++}`,
          text: vocabulary.text(rng, w.wordsPerFile),
        })),
        deleted: false,
      };
      events.push({ at, kind: 'create', project });
      const end = at + rng.exponential(w.activeMeanDays * DAY);
      const sessions: number[] = [];
      if (rng.next() < w.chatShare) {
        sessions.push(at + rng.next() * DAY * 0.5);
        for (
          let s = sessions[0]! + rng.exponential(DAY / w.sessionsPerDay);
          s < end;
          s += rng.exponential(DAY / w.sessionsPerDay)
        ) {
          sessions.push(s);
        }
        if (rng.next() < w.revisitShare)
          sessions.push(end + rng.next() * Math.max(0, horizon - end));
      }
      const deleteAt = rng.next() < w.deleteShare ? end : undefined;
      for (const s of sessions) {
        if (s >= horizon || (deleteAt !== undefined && s >= deleteAt)) continue;
        events.push({ at: s, kind: 'session', project });
        let q = s;
        for (let i = 0; i < w.questionsPerSession; i++) {
          q += 60 + rng.next() * 120;
          const file = rng.pick(project.files);
          const words = file.text.split(' ');
          const from = rng.int(Math.max(1, words.length - 6));
          events.push({
            at: q,
            kind: 'question',
            project,
            words: words.slice(from, from + 6).join(' '),
          });
        }
      }
      if (deleteAt !== undefined && deleteAt < horizon)
        events.push({ at: deleteAt, kind: 'delete', project });
    }
  }
  return events.sort((a, b) => a.at - b.at);
}

export function describeWorkload(w: Workload): string[] {
  const tiers = w.tierMix.map(([tier, share]) => `${tier} ${Math.round(share * 100)} %`).join(', ');
  return [
    `- ${w.tenants.toLocaleString('en')} tenants over ${w.days} simulated days; tiers ${tiers}, with the default tier limits (ttl 7 / 30 / 90 days, file caps 5 / 100 / 1000).`,
    `- Projects arrive per tenant as a Poisson process of ${w.projectsPerTenantDay} a day; each comes with 1 + Poisson(${w.meanFiles - 1}) files (capped by the tier) of ${w.wordsPerFile} words (one chunk each), uploaded at once.`,
    `- A project is in use for an exponential time of mean ${w.activeMeanDays} days. ${Math.round(w.chatShare * 100)} % of projects are ever chatted with: a first session within 12 hours of creation, then ${w.sessionsPerDay} a day (Poisson) while in use; ${Math.round(w.revisitShare * 100)} % of those get one late revisit at a uniform time before the month ends. The other projects are only stored.`,
    `- A session starts a chat on all the project's files (just-in-time ingestion of those not ready) and asks ${w.questionsPerSession} questions 1 to 3 minutes apart; each question refreshes the files' ttl (the chat's own refresher) and retrieves through buildRetrievalFilter.`,
    `- ${Math.round(w.deleteShare * 100)} % of projects are deleted by their users when they fall out of use (project.deleted to the janitor); the rest stay stored.`,
    '- Always-on baseline: every upload is ingested at once and stays until its project is deleted.',
  ];
}
