/*
 * The workload of the just-in-time economics simulation: tenants with a tier, transitory
 * projects arriving at random, files uploaded with each project, chat sessions while a project is
 * active, late revisits, and projects that their users delete. Generated up front from a seed as
 * a schedule of projects, one stationary process over as many 30-day months as asked; the
 * simulation runs it as time-ordered events and the rules-only model reads it directly.
 * Documented in docs/benchmarks.md from `describeWorkload`.
 */
import { chunkText } from '../../services/ingestion/src/domain/chunk';
import { Rng, ZipfVocabulary } from '../lib/synthetic';

export const DAY = 86_400;

export interface Workload {
  tenants: number;
  /** The length of a month, the period measured, in days. */
  days: number;
  /** Days the service has run before the month in operation is measured. */
  historyDays: number;
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
  /** Share of chatted projects that someone comes back to once, later in their month. */
  revisitShare: number;
  /** Share of projects whose users delete them when they are done. */
  deleteShare: number;
  /** Words per document (small documents, one or two chunks). */
  wordsPerFile: number;
}

export function workloadFor(scale: 'full' | 'quick' | 'smoke'): Workload {
  return {
    tenants: scale === 'full' ? 1000 : scale === 'quick' ? 300 : 20,
    days: scale === 'smoke' ? 1 : 30,
    // The longest default ttl (premium, 90 days); the smoke run's ttls are hours.
    historyDays: scale === 'smoke' ? 1 : 90,
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
  /** Seed of the file's text (see `createCorpus`). */
  seed: number;
}

export interface SimQuestion {
  at: number;
  /** Index of the file whose words are asked about, and of the first of its six words. */
  file: number;
  from: number;
}

export interface SimSession {
  at: number;
  questions: SimQuestion[];
}

export interface SimProject {
  tenantId: string;
  tier: string;
  projectId: string;
  createdAt: number;
  files: SimFile[];
  /**
   * Uniform in [0, 1): the project is chatted with when this is below the chat share. Every
   * project draws its sessions, so that a larger share only adds chatted projects.
   */
  chatDraw: number;
  /** The sessions it has if chatted with, in time order; none at or after its deletion. */
  sessions: SimSession[];
  deletedAt: number | undefined;
}

export interface Schedule {
  /** Seconds from the start that the schedule covers. */
  horizon: number;
  projects: SimProject[];
}

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

/** Session times of a project in use from `at` to `end`, with its revisit, before `horizon`. */
function sessionTimes(rng: Rng, w: Workload, at: number, end: number, horizon: number): number[] {
  const times = [at + rng.next() * DAY * 0.5];
  for (
    let s = times[0]! + rng.exponential(DAY / w.sessionsPerDay);
    s < end;
    s += rng.exponential(DAY / w.sessionsPerDay)
  ) {
    times.push(s);
  }
  if (rng.next() < w.revisitShare) {
    // Before the end of the month the project was created in; none if it is in use past it.
    const monthEnd = (Math.floor(at / (w.days * DAY)) + 1) * w.days * DAY;
    const revisit = end + rng.next() * (monthEnd - end);
    if (end < monthEnd) times.push(revisit);
  }
  return times.filter((s) => s < horizon);
}

/** Every project of `horizonDays` days, in order of tenant then creation. */
export function generateSchedule(
  w: Workload,
  maxFiles: (tier: string) => number,
  horizonDays: number,
): Schedule {
  const rng = new Rng(4242);
  const horizon = horizonDays * DAY;
  const projects: SimProject[] = [];
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
      const files = Array.from({ length: count }, () => ({
        fileId: `file-${fileSeq++}`,
        seed: rng.int(2 ** 32),
      }));
      const end = at + rng.exponential(w.activeMeanDays * DAY);
      const chatDraw = rng.next();
      const times = sessionTimes(rng, w, at, end, horizon);
      const deletedAt = rng.next() < w.deleteShare && end < horizon ? end : undefined;
      const sessions = times
        .filter((s) => deletedAt === undefined || s < deletedAt)
        .map((s) => {
          const questions: SimQuestion[] = [];
          for (let q = s, i = 0; i < w.questionsPerSession; i++) {
            q += 60 + rng.next() * 120;
            questions.push({
              at: q,
              file: rng.int(count),
              from: rng.int(Math.max(1, w.wordsPerFile - 6)),
            });
          }
          return { at: s, questions };
        });
      projects.push({
        tenantId,
        tier,
        projectId: `project-${t}-${p++}`,
        createdAt: at,
        files,
        chatDraw,
        sessions,
        deletedAt,
      });
    }
  }
  return { horizon, projects };
}

export type SimEvent =
  | { at: number; kind: 'create'; project: SimProject }
  | { at: number; kind: 'session'; project: SimProject }
  | {
      at: number;
      kind: 'question';
      project: SimProject;
      question: SimQuestion;
      /** Its place in the session, and the time of the session's next question, if any. */
      index: number;
      next: number | undefined;
    }
  | { at: number; kind: 'delete'; project: SimProject };

/** The events of the schedule before `until` (seconds) at this chat share, in time order. */
export function eventsOf(schedule: Schedule, chatShare: number, until: number): SimEvent[] {
  const events: SimEvent[] = [];
  for (const project of schedule.projects) {
    if (project.createdAt >= until) continue;
    events.push({ at: project.createdAt, kind: 'create', project });
    if (project.chatDraw < chatShare) {
      for (const session of project.sessions) {
        if (session.at >= until) break;
        events.push({ at: session.at, kind: 'session', project });
        session.questions.forEach((question, i) =>
          events.push({
            at: question.at,
            kind: 'question',
            project,
            question,
            index: i,
            next: session.questions[i + 1]?.at,
          }),
        );
      }
    }
    if (project.deletedAt !== undefined && project.deletedAt < until)
      events.push({ at: project.deletedAt, kind: 'delete', project });
  }
  return events.sort((a, b) => a.at - b.at);
}

/** The files' texts (from their seeds) and chunk counts (the ingestion worker's chunker). */
export function createCorpus(w: Workload) {
  const vocabulary = new ZipfVocabulary(20_000);
  const chunks = new Map<string, number>();
  const text = (file: SimFile) => vocabulary.text(new Rng(file.seed), w.wordsPerFile);
  return {
    text,
    /** The six words a question asks. */
    words(project: SimProject, question: SimQuestion): string {
      const words = text(project.files[question.file]!).split(' ');
      return words.slice(question.from, question.from + 6).join(' ');
    },
    chunks(file: SimFile, known?: string): number {
      let n = chunks.get(file.fileId);
      if (n === undefined) chunks.set(file.fileId, (n = chunkText(known ?? text(file)).length));
      return n;
    },
  };
}

export type Corpus = ReturnType<typeof createCorpus>;

export function describeWorkload(w: Workload, ttlDays: number[]): string[] {
  const tiers = w.tierMix.map(([tier, share]) => `${tier} ${Math.round(share * 100)} %`).join(', ');
  return [
    `- ${w.tenants.toLocaleString('en')} tenants; tiers ${tiers}, with the default tier limits (file caps 5 / 100 / 1000) and ttls of ${ttlDays.map((d) => +d.toFixed(2)).join(' / ')} days. The tenants arrive with the service: everything below starts on day 0, from an empty system, and runs for ${w.historyDays + w.days} days without a pause.`,
    `- Projects arrive per tenant as a Poisson process of ${w.projectsPerTenantDay} a day; each comes with 1 + Poisson(${w.meanFiles - 1}) files (capped by the tier) of ${w.wordsPerFile} words (one chunk each), uploaded at once.`,
    `- A project is in use for an exponential time of mean ${w.activeMeanDays} days. ${Math.round(w.chatShare * 100)} % of projects are ever chatted with: a first session within 12 hours of creation, then ${w.sessionsPerDay} a day (Poisson) while in use; ${Math.round(w.revisitShare * 100)} % of those get one late revisit at a uniform time between the end of use and the end of the ${w.days}-day month the project was created in (none if it is still in use then). The other projects are only stored.`,
    `- A session starts a chat on all the project's files (just-in-time ingestion of those not in the knowledge base) and asks ${w.questionsPerSession} questions 1 to 3 minutes apart; each question refreshes the live files' ttl (the chat's own refresher, at most once a minute per file).`,
    `- ${Math.round(w.deleteShare * 100)} % of projects are deleted by their users when they fall out of use (project.deleted to the janitor); the rest stay stored for good.`,
    '- Always-on baseline: every upload is ingested at once and stays until its project is deleted, so it holds every undeleted upload since day 0: it has no steady state and grows for as long as the service runs.',
  ];
}
