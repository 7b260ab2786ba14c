/** The economics section of docs/benchmarks.md: the workload model, both months, the checks. */
import { refreshIntervalSeconds } from '../../services/chat/src/domain/file-ttl';
import { table, type BenchContext, type SectionResult } from '../lib/context';
import { fmt, quantile } from '../lib/stats';
import { histogram, lineChart } from '../lib/svg';
import type { WindowTally } from './ledger';
import type { WindowFigures } from './rules';
import { SAMPLE_SECONDS, type SimulationResult } from './simulation';
import { DAY, describeWorkload, type Workload } from './workload';

export interface MonthFigures {
  tally: WindowTally;
  end: { jit: number; alwaysOn: number };
  endRatio: number;
  meanRatio: number;
  byTier: Array<{ tier: string; ttlDays: number; jit: number; alwaysOn: number }>;
}

export interface RulesCheck {
  month: string;
  run: MonthFigures;
  rules: WindowFigures;
  samples: number;
  samplesDiffering: number;
}

export interface Sensitivity {
  chatShare: number;
  byHistory: Array<WindowFigures & { historyDays: number }>;
}

const pct = (ratio: number, digits = 1) => `${fmt(ratio * 100, digits)} %`;
const ratioOf = (jit: number, alwaysOn: number) => pct(alwaysOn > 0 ? jit / alwaysOn : 0);
const span = (t: WindowTally) => `days ${fmt(t.from / DAY, 0)}–${fmt(t.to / DAY, 0)}`;

export function economicsReport(options: {
  context: BenchContext;
  workload: Workload;
  run: SimulationResult;
  first: MonthFigures;
  operating: MonthFigures;
  check: RulesCheck[];
  sensitivity: Sensitivity[];
}): SectionResult {
  const { context, workload: w, run, first, operating, check, sensitivity } = options;
  const months = [first, operating];
  const runDays = w.historyDays + w.days;
  const lags = operating.tally.lags;
  const lagMax = lags.length > 0 ? Math.max(...lags) : Number.NaN;
  const hits = (m: MonthFigures) =>
    m.tally.checked
      ? `${m.tally.questions}; ${m.tally.retrieved} retrieved, ${m.tally.hits} hits`
      : 'not checked';
  const probes = (m: MonthFigures) =>
    m.tally.checked
      ? `${m.tally.probes} (${m.tally.probesWithChunks} while their chunks were still stored)`
      : 'not checked';
  const peak = (m: MonthFigures) =>
    Math.max(
      ...run.timeline
        .filter((p) => p.day * DAY >= m.tally.from && p.day * DAY <= m.tally.to)
        .map((p) => p.jit),
    );
  const refreshSeconds = refreshIntervalSeconds(
    Math.min(...first.byTier.map((t) => t.ttlDays * DAY)),
  );
  const long = first.byTier.filter((t) => t.ttlDays >= w.days);
  const markdown = [
    'Workload model:',
    '',
    ...describeWorkload(
      w,
      first.byTier.map((t) => t.ttlDays),
    ),
    `- Two months of that one run are measured: the first month (${span(first.tally)}), a service starting empty, and the month in operation (${span(operating.tally)}), after ${w.historyDays} days of history, at least the longest ttl, so that what each tier holds just in time no longer depends on the start. The target judges the month in operation. Resident chunks are counted in the knowledge base every simulated hour; the month's figures are its last sample and the mean over its samples.`,
    `- Clock: simulated, one second of it per second of the schedule; the janitor's sweeper runs on the minute (one replica holding the lease), and what it publishes reaches the janitor's handler at once. ${runDays} days ran in ${fmt(run.wallSeconds)} s of wall time (${fmt((runDays * DAY) / run.wallSeconds, 0)}× compression).`,
    `- Fast-forwarded, where the result is exactly the same: (1) throughout the run, a minute at which no kb-files record's ttl has passed skips the sweep, which would find nothing to expire (${run.sweeps.skipped.toLocaleString('en')} skipped, ${run.sweeps.run.toLocaleString('en')} run); (2) before the month in operation, no question retrieves (a retrieval only reads), and a question is skipped when the same session's next question is more than the refresh interval (${fmt(refreshSeconds, 0)} s) later and no ttl of the project's files falls between the two: the next question then refreshes the same files to a later ttl, so the skipped one leaves nothing behind (${run.questionsSkipped.toLocaleString('en')} skipped); (3) before the month in operation, the files of projects that nobody ever chats with are counted in always-on but not uploaded, as no service ever reads them (${run.uploadsSkipped.toLocaleString('en')} files). The month in operation runs every upload and question in full.`,
    `- Checks, in the month in operation: the first question of each session also retrieves through buildRetrievalFilter, and every hit is checked against its file's ttl. Probes: for every file whose ttl passed, one retrieval of its own words between its ttl and the next sweep, while its chunks are still in the knowledge base, through buildRetrievalFilter.`,
    '',
    table(
      [
        'figure',
        `first month (${span(first.tally)})`,
        `month in operation (${span(operating.tally)})`,
      ],
      [
        [
          'resident chunks at the month’s end: just-in-time / always-on',
          ...months.map((m) => `${m.end.jit} / ${m.end.alwaysOn} = ${pct(m.endRatio)}`),
        ],
        ['resident chunks, time average over the month', ...months.map((m) => pct(m.meanRatio))],
        ['peak resident chunks (just-in-time)', ...months.map(peak)],
        ['just-in-time ingestions (first and repeated)', ...months.map((m) => m.tally.ingests)],
        ['files expired by the janitor', ...months.map((m) => m.tally.expiries)],
        [
          'questions asked; of them retrieved through buildRetrievalFilter (first of each session)',
          ...months.map(hits),
        ],
        ['probes of just-expired files', ...months.map(probes)],
        [
          'hits from files whose ttl had passed',
          ...months.map((m) => (m.tally.checked ? m.tally.expiredHits : 'not checked')),
        ],
        [
          'expiry lag, max (simulated s)',
          ...months.map((m) => fmt(m.tally.lags.length > 0 ? Math.max(...m.tally.lags) : NaN, 1)),
        ],
      ],
    ),
    '',
    'Resident chunks at each month’s end by tier:',
    '',
    table(
      [
        'tier',
        'ttl (days)',
        'first month: just-in-time / always-on',
        'ratio',
        'in operation: just-in-time / always-on',
        'ratio',
      ],
      first.byTier.map((t) => {
        const o = operating.byTier.find((x) => x.tier === t.tier);
        return [
          t.tier,
          fmt(t.ttlDays, 2),
          `${t.jit} / ${t.alwaysOn}`,
          ratioOf(t.jit, t.alwaysOn),
          o ? `${o.jit} / ${o.alwaysOn}` : '-',
          o ? ratioOf(o.jit, o.alwaysOn) : '-',
        ];
      }),
    ),
    '',
    `Check of the model: the same resident counts from the schedule by the ttl rules alone (bench/economics/rules.ts: ingestion at a session of each file not in the knowledge base, a question's refresh of each live file, removal at the first sweep at or after its ttl, deletion), without the services, beside the run's, sample by sample:`,
    '',
    table(
      [
        'month',
        'run: at its end (time average)',
        'rules only: at its end (time average)',
        'hourly samples that differ',
      ],
      check.map((c) => [
        c.month,
        `${pct(c.run.endRatio, 2)} (${pct(c.run.meanRatio, 2)})`,
        `${pct(c.rules.endRatio, 2)} (${pct(c.rules.meanRatio, 2)})`,
        `${c.samplesDiffering} of ${c.samples}`,
      ]),
    ),
    '',
    `Sensitivity, by the ttl rules alone on the same schedule: resident chunks vs always-on at the end of the ${w.days}-day month that follows a history of the given length (time average over that month in brackets), by the share of projects ever chatted with (a larger share adds chatted projects to a smaller one's; every other parameter as above). The run's own parameters are ${pct(w.chatShare, 0)} and ${w.historyDays} days.`,
    '',
    table(
      [
        'projects ever chatted with',
        ...sensitivity[0]!.byHistory.map((h) => `history ${h.historyDays} days`),
      ],
      sensitivity.map((s) => [
        pct(s.chatShare, 0),
        ...s.byHistory.map((h) => `${pct(h.endRatio)} (${pct(h.meanRatio)})`),
      ]),
    ),
    '',
    `Expiry lag in the month in operation, from a file's ttl to the removal of its chunks (simulated seconds, ${lags.length} expiries):`,
    '',
    table(
      ['quantile', 'seconds'],
      [0.5, 0.9, 0.99, 1].map((q) => [
        q === 1 ? 'max' : `p${Math.round(q * 100)}`,
        fmt(quantile(lags, q), 1),
      ]),
    ),
    '',
    'Just-in-time holds what was chatted with within its ttl, which levels off once the history is longer than the longest ttl; ' +
      'always-on holds every undeleted upload since the service began, which keeps growing, so the ratio falls with the age of the service (the history columns above). ' +
      'In the first month always-on holds one month of uploads' +
      (long.length > 0
        ? `, and nothing that a ${long.map((t) => t.tier).join(' or ')} tenant chatted with in it can have expired by its end (ttl ${long.map((t) => fmt(t.ttlDays, 0)).join(' and ')} days).`
        : '.'),
  ].join('\n');
  return {
    id: 'economics',
    title: 'Just-in-time economics (simulated months)',
    markdown,
    charts: [
      {
        file: 'economics-resident.svg',
        alt: `resident chunks over the ${runDays} simulated days, just-in-time against always-on`,
        svg: lineChart({
          title: 'Resident chunks',
          xLabel: 'day',
          yLabel: 'chunks',
          x: run.timeline.map((p) => p.day),
          series: [
            { name: 'always-on', values: run.timeline.map((p) => p.alwaysOn) },
            { name: 'just-in-time', values: run.timeline.map((p) => p.jit) },
          ],
        }),
      },
      {
        file: 'economics-expiry-lag.svg',
        alt: 'distribution of expiry lag in the month in operation',
        svg: histogram({
          title: 'Expiry lag: ttl to removal (simulated s)',
          xLabel: 'lag (s)',
          values: lags,
        }),
      },
    ],
    targets: [
      {
        name: `resident chunks vs always-on (month in operation, ${span(operating.tally)})`,
        target: '<= 15 %',
        measured:
          `${pct(operating.endRatio)} at its end (time average ${pct(operating.meanRatio)}); ` +
          `first month from empty: ${pct(first.endRatio)} (${pct(first.meanRatio)})`,
        met: context.scale === 'smoke' ? undefined : operating.endRatio <= 0.15,
      },
      {
        name: 'expiry lag (max, month in operation)',
        target: '<= 60 s',
        measured: `${fmt(lagMax, 1)} s`,
        met: lags.length > 0 ? lagMax <= 60 : undefined,
      },
      {
        name: 'answers drawn from expired files (month in operation)',
        target: '0',
        measured: String(operating.tally.expiredHits),
        met: operating.tally.expiredHits === 0,
      },
    ],
    data: {
      workload: w,
      sampleSeconds: SAMPLE_SECONDS,
      sweeps: run.sweeps,
      events: run.events,
      wallSeconds: run.wallSeconds,
      months: months.map((m) => ({
        ...m,
        tally: { ...m.tally, lags: undefined, jitByTier: undefined, alwaysOnByTier: undefined },
      })),
      check: check.map((c) => ({
        month: c.month,
        rules: c.rules,
        samples: c.samples,
        samplesDiffering: c.samplesDiffering,
      })),
      sensitivity,
    },
  };
}
