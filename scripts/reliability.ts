/**
 * `npm run test:reliability`: the reliability suites (test/reliability) at full size on both
 * adapter families, then their figures printed and written to docs/reliability.md.
 *
 *   npm run test:reliability              full sizes (RELIABILITY_FULL=1)
 *   npm run test:reliability -- --subset  the subset the normal test command runs
 *   npm run test:reliability -- --report  only rewrites the report from the last run's figures
 *
 * Jest's global setup starts moto's server for the aws family. The exit code is jest's.
 */
import { spawnSync } from 'node:child_process';
import { cpus, loadavg } from 'node:os';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { format } from 'prettier';
import { FIGURES_DIR, readFigures, type FiguresFile } from '../test/reliability/support/figures';

const ROOT = path.resolve(__dirname, '..');
const MODES = ['embedded', 'aws'] as const;
const reportOnly = process.argv.includes('--report');
const RESULT_FILE = path.join(FIGURES_DIR, 'result.json');

interface RunResult {
  exitCode: number;
  subset: boolean;
  seconds: number;
  /** One-minute load averages at the start and the end: the machine may be shared. */
  load?: [number, number];
}

/**
 * Runs jest on the suites. The subset runs both families side by side, as the normal test command
 * does; the full run takes one family after the other, so that neither's figures (latency above
 * all) carry the other's load.
 */
function runSuites(subset: boolean): RunResult {
  rmSync(FIGURES_DIR, { recursive: true, force: true });
  const started = Date.now();
  const loadAtStart = loadavg()[0] ?? 0;
  const passes = subset ? [MODES.join(',')] : [...MODES];
  let exitCode = 0;
  for (const modes of passes) {
    const result = spawnSync(
      path.join(ROOT, 'node_modules/.bin/jest'),
      ['--runInBand', '--verbose', 'test/reliability'],
      {
        cwd: ROOT,
        stdio: 'inherit',
        env: {
          ...process.env,
          RELIABILITY_MODES: modes,
          ...(subset ? {} : { RELIABILITY_FULL: '1' }),
        },
      },
    );
    if (result.status !== 0) exitCode = result.status ?? 1;
  }
  const run: RunResult = {
    exitCode,
    subset,
    seconds: Math.round((Date.now() - started) / 1000),
    load: [loadAtStart, loadavg()[0] ?? 0],
  };
  mkdirSync(FIGURES_DIR, { recursive: true });
  writeFileSync(RESULT_FILE, `${JSON.stringify(run)}\n`);
  process.stdout.write(`\nreliability: jest finished in ${run.seconds} s\n`);
  return run;
}

function gitCommit(): string {
  const result = spawnSync('git', ['rev-parse', '--short', 'HEAD'], {
    cwd: ROOT,
    encoding: 'utf8',
  });
  return result.status === 0 ? result.stdout.trim() : 'unknown';
}

/** What the figures mean, and what the emulator cannot show. */
const NOTES = [
  '## What is checked',
  '',
  '- **tokens**: alg none, HS256 signed with the public key, expired, not yet valid, without exp,',
  '  wrong issuer and audience, unknown kid, foreign keys, tampered tenant and tier claims, a',
  '  stripped signature: 401 problem+json at the gateway and directly at project and chat.',
  '  Ingestion and janitor serve no `/v1` routes at all (only health, readiness, metrics).',
  '- **poison message**: a handler that always fails, on the project queue (the project service',
  '  stopped meanwhile, the real bus adapter in the test process); the gauge',
  '  `jitkb_dead_letter_messages` is read from the restarted project service’s `/metrics`.',
  '- **bad input**: invalid requests generated with fast-check from `GET /v1/openapi.json` (bad and',
  '  unknown ids, bodies their schema refuses, bodies that are not JSON, wrong content types,',
  '  bodies over the limit), then limits, mismatched uploads, odd names and long questions. A 4xx',
  '  must be problem+json and leave the tenant’s projects, files and chats as they were.',
  '- **isolation**: tenant B with tenant A’s ids on every route of the document, and B’s questions',
  '  made of A’s made-up words; a leak would show A’s words or file ids in B’s answers.',
  '- **load**: tenants of the three default tiers asking at once; a client waits out a 429 as told.',
  '- **faults**: `kill -9` of ingestion while files are queued, of the gateway under traffic, of the',
  '  janitor while deleted files are being removed; then restart and check the outcome.',
  '',
  'On moto, the S3 presigned POST policy is not enforced (uploads that break it are stored); the',
  'completion check refuses them (409) so the file never becomes `uploaded`. A long poll of a',
  'killed consumer stays open on moto’s side and takes one more message, which comes back after',
  'its visibility timeout.',
];

const cell = (value: string | number | boolean | undefined) =>
  value === undefined ? '–' : String(value).replace(/\|/g, '\\|').replace(/\n/g, ' ');

/** One table per suite: a row per figure, a column per adapter family. */
function report(
  files: Partial<Record<(typeof MODES)[number], FiguresFile>>,
  { exitCode, subset, seconds, load }: RunResult,
): string {
  const run = files.embedded?.run ?? files.aws?.run ?? (subset ? 'subset' : 'full');
  const outcome =
    exitCode === 0
      ? 'every check passed'
      : `**jest exited with ${exitCode}: some checks failed** (see the jest output)`;
  const sizes = files.embedded?.sizes ?? files.aws?.sizes;
  const suites = [...new Set(MODES.flatMap((mode) => Object.keys(files[mode]?.suites ?? {})))];
  const lines = [
    '# Reliability and security figures',
    '',
    `Generated by \`npm run test:reliability${subset ? ' -- --subset' : ''}\` (scripts/reliability.ts) from`,
    'the suites in `test/reliability`: do not edit by hand.',
    '',
    `- Run: **${run === 'full' ? 'full size' : 'subset (the sizes of the normal test command), not a full run'}**, ${outcome}, ${seconds} s (${subset ? 'both families side by side' : 'one family after the other'})`,
    `- Date: ${new Date().toISOString()}, commit ${gitCommit()}`,
    `- Machine: ${cpus().length} × ${cpus()[0]?.model ?? 'unknown CPU'}, Node ${process.version}; the five services`,
    '  run as separate processes on loopback; aws = the aws adapters against moto’s server, with the',
    '  local knowledge base.',
    ...(load
      ? [`- Load average: ${load[0].toFixed(1)} at the start, ${load[1].toFixed(1)} at the end`]
      : []),
    ...(sizes ? [`- Sizes: \`${JSON.stringify(sizes)}\``] : []),
    '',
  ];
  lines.push(...NOTES, '');
  for (const suite of suites) {
    const names = [
      ...new Set(MODES.flatMap((mode) => Object.keys(files[mode]?.suites[suite] ?? {}))),
    ];
    lines.push(`## ${suite}`, '', '| | embedded | aws |', '|---|---|---|');
    for (const name of names) {
      lines.push(
        `| ${cell(name)} | ${MODES.map((mode) => cell(files[mode]?.suites[suite]?.[name])).join(' | ')} |`,
      );
    }
    lines.push('');
  }
  return `${lines.join('\n')}\n`;
}

function lastRun(): RunResult {
  try {
    return JSON.parse(readFileSync(RESULT_FILE, 'utf8')) as RunResult;
  } catch {
    throw new Error(`no figures of an earlier run in ${FIGURES_DIR}: run without --report`);
  }
}

const result = reportOnly ? lastRun() : runSuites(process.argv.includes('--subset'));
const files = Object.fromEntries(
  MODES.flatMap((mode) => {
    const file = readFigures(mode);
    return file ? [[mode, file] as const] : [];
  }),
);
void (async () => {
  // Aligned tables, as the rest of docs/.
  const markdown = await format(report(files, result), { parser: 'markdown', printWidth: 100 });
  mkdirSync(path.join(ROOT, 'docs'), { recursive: true });
  writeFileSync(path.join(ROOT, 'docs/reliability.md'), markdown);
  process.stdout.write(`\n${markdown}\nreliability: wrote docs/reliability.md\n`);
  process.exit(result.exitCode);
})();
