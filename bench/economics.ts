/*
 * Just-in-time economics: many tenants over a history and a measured month, compressed in time,
 * through the real services on the embedded adapters (bench/economics/simulation.ts). The same
 * run measures two months: the first, from an empty system, and the month in operation after the
 * history. The ttl rules alone (bench/economics/rules.ts) recompute the run's figures from the
 * same schedule, as a check of the model, and give the sensitivity to the history's length and
 * to the share of projects ever chatted with.
 */
import { DEFAULT_TIERS, limitsOf, type TierConfig } from '@jitkb/shared';
import type { BenchContext, SectionResult } from './lib/context';
import { fmt } from './lib/stats';
import { economicsReport, type MonthFigures, type RulesCheck } from './economics/report';
import { residencyByRules, windowFigures, type Residency } from './economics/rules';
import {
  SAMPLE_SECONDS,
  START_MS,
  SWEEP_SECONDS,
  simulate,
  type SimulationResult,
} from './economics/simulation';
import { createCorpus, DAY, generateSchedule, workloadFor } from './economics/workload';

const SENSITIVITY_CHAT_SHARES = [0.25, 0.5, 0.75];

export async function runEconomics(context: BenchContext): Promise<SectionResult> {
  const workload = workloadFor(context.scale);
  // The smoke run's days are shorter than any default ttl: its tiers expire within hours.
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
  const ttlSeconds = (tier: string) => limitsOf(tiers, tier).ttlSeconds;
  const { days, historyDays } = workload;
  const histories = [0, historyDays, 2 * historyDays];
  // One schedule long enough for the longest history of the sensitivity table.
  const schedule = generateSchedule(
    workload,
    (tier) => limitsOf(tiers, tier).maxFilesPerProject,
    2 * historyDays + days,
  );
  const corpus = createCorpus(workload);
  const months = [
    { from: 0, to: days * DAY, checked: false },
    { from: historyDays * DAY, to: (historyDays + days) * DAY, checked: true },
  ];
  const horizon = months[1]!.to;
  const run = await simulate({
    context,
    schedule,
    corpus,
    tiers,
    chatShare: workload.chatShare,
    horizon,
    windows: months,
  });
  const tierOrder = workload.tierMix.map(([tier]) => tier);
  const [first, operating] = months.map((_, i) => monthOf(run, i, ttlSeconds, tierOrder));
  context.say(
    `economics: first month ${fmt(first!.endRatio * 100, 1)} % at its end (${fmt(first!.meanRatio * 100, 1)} % on average); ` +
      `month in operation ${fmt(operating!.endRatio * 100, 1)} % (${fmt(operating!.meanRatio * 100, 1)} %); ` +
      `${run.sweeps.run} sweeps run, ${run.sweeps.skipped} with nothing due skipped, ` +
      `${run.questionsSkipped} overtaken questions skipped; ${fmt(run.wallSeconds)} s`,
  );

  const rulesOf = (chatShare: number, until: number) =>
    residencyByRules(schedule, corpus, {
      chatShare,
      ttlSeconds,
      startMs: START_MS,
      sweepSeconds: SWEEP_SECONDS,
      sampleSeconds: SAMPLE_SECONDS,
      until,
    });
  const sensitivity = SENSITIVITY_CHAT_SHARES.map((chatShare) => {
    const residency = rulesOf(chatShare, (2 * historyDays + days) * DAY);
    return {
      chatShare,
      residency,
      byHistory: histories.map((h) => ({
        historyDays: h,
        ...windowFigures(residency, h * DAY, (h + days) * DAY),
      })),
    };
  });
  const own =
    sensitivity.find((s) => s.chatShare === workload.chatShare)?.residency ??
    rulesOf(workload.chatShare, horizon);
  const check = rulesCheck(run, own, [first!, operating!]);
  for (const c of check) {
    context.say(
      `economics: ${c.month}: run ${fmt(c.run.endRatio * 100, 2)} % (${fmt(c.run.meanRatio * 100, 2)} %), ` +
        `rules ${fmt(c.rules.endRatio * 100, 2)} % (${fmt(c.rules.meanRatio * 100, 2)} %), ` +
        `${c.samplesDiffering} of ${c.samples} samples differ`,
    );
  }
  return economicsReport({
    context,
    workload,
    run,
    first: first!,
    operating: operating!,
    check,
    sensitivity: sensitivity.map(({ chatShare, byHistory }) => ({ chatShare, byHistory })),
  });
}

/** The run's figures for one measured month, from its hourly samples and its ledger. */
function monthOf(
  run: SimulationResult,
  index: number,
  ttlSeconds: (tier: string) => number,
  tierOrder: string[],
): MonthFigures {
  const tally = run.windows[index]!;
  const points = run.timeline.filter(
    (p) => p.day * DAY >= tally.from && p.day * DAY <= tally.to && p.alwaysOn > 0,
  );
  const last = run.timeline.find((p) => p.day * DAY === tally.to)!;
  const sum = (key: 'jit' | 'alwaysOn') => points.reduce((s, p) => s + p[key], 0);
  const tiers = [
    ...new Set([...tierOrder, ...tally.alwaysOnByTier.keys(), ...tally.jitByTier.keys()]),
  ].filter((tier) => tally.alwaysOnByTier.has(tier) || tally.jitByTier.has(tier));
  return {
    tally,
    end: { jit: last.jit, alwaysOn: last.alwaysOn },
    endRatio: last.alwaysOn > 0 ? last.jit / last.alwaysOn : 0,
    meanRatio: sum('alwaysOn') > 0 ? sum('jit') / sum('alwaysOn') : 0,
    byTier: tiers.map((tier) => ({
      tier,
      ttlDays: ttlSeconds(tier) / DAY,
      jit: tally.jitByTier.get(tier) ?? 0,
      alwaysOn: tally.alwaysOnByTier.get(tier) ?? 0,
    })),
  };
}

/** The rules-only figures beside the run's, sample by sample. */
function rulesCheck(run: SimulationResult, rules: Residency, months: MonthFigures[]): RulesCheck[] {
  const total = (map: Map<string, Float64Array>, k: number) =>
    [...map.values()].reduce((sum, values) => sum + (values[k] ?? 0), 0);
  return months.map((month, i) => {
    const { from, to } = month.tally;
    const figures = windowFigures(rules, from, to);
    let samples = 0;
    let samplesDiffering = 0;
    for (const point of run.timeline) {
      const k = Math.round((point.day * DAY) / SAMPLE_SECONDS);
      if (point.day * DAY < from || point.day * DAY > to) continue;
      samples++;
      if (point.jit !== total(rules.jit, k) || point.alwaysOn !== total(rules.alwaysOn, k))
        samplesDiffering++;
    }
    return {
      month: i === 0 ? 'first month' : 'month in operation',
      run: month,
      rules: figures,
      samples,
      samplesDiffering,
    };
  });
}
