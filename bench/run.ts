// The benchmarks: quality, speed and the just-in-time economics, with peers side by side.
//   npm run bench [-- --only NAME[,NAME]] [--quick]
//   npm run bench:smoke          tiny sizes of every benchmark (run by the tests)
// Prints each figure as it is measured and writes docs/benchmarks.md with SVG charts beside it
// (the smoke run writes to a temporary folder, or --out DIR).
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { runEconomics } from './economics';
import { runGateway } from './gateway';
import { runLatency } from './latency';
import { runQuality } from './quality';
import { runReadiness } from './readiness';
import {
  createContext,
  REPO_ROOT,
  type Benchmark,
  type Scale,
  type SectionResult,
} from './lib/context';
import { renderReport } from './lib/report';

const BENCHMARKS: Record<string, Benchmark> = {
  quality: runQuality,
  latency: runLatency,
  readiness: runReadiness,
  economics: runEconomics,
  gateway: runGateway,
};

function parseOptions() {
  const { values } = parseArgs({
    options: {
      only: { type: 'string' },
      quick: { type: 'boolean', default: false },
      smoke: { type: 'boolean', default: false },
      out: { type: 'string' },
    },
  });
  const names = values.only ? values.only.split(',').map((n) => n.trim()) : Object.keys(BENCHMARKS);
  const unknown = names.filter((name) => !(name in BENCHMARKS));
  if (unknown.length > 0) {
    throw new Error(
      `unknown benchmark ${unknown.join(', ')}; one of ${Object.keys(BENCHMARKS).join(', ')}`,
    );
  }
  const scale: Scale = values.smoke ? 'smoke' : values.quick ? 'quick' : 'full';
  return { names, scale, out: values.out };
}

async function main(): Promise<void> {
  const { names, scale, out } = parseOptions();
  const outDir = path.resolve(
    out ??
      (scale === 'smoke'
        ? mkdtempSync(path.join(os.tmpdir(), 'jitkb-bench-smoke-'))
        : path.join(REPO_ROOT, 'docs')),
  );
  const tempDir = mkdtempSync(path.join(os.tmpdir(), 'jitkb-bench-'));
  const context = createContext({
    scale,
    // The smoke run's caches are its own: it never reuses or spoils the full run's.
    cacheDir:
      scale === 'smoke' ? path.join(tempDir, 'cache') : path.join(REPO_ROOT, '.data', 'bench'),
    tempDir,
  });
  const started = new Date();
  const sections: SectionResult[] = [];
  const failures: string[] = [];
  try {
    for (const name of names) {
      context.say(`\n== ${name} (${scale})`);
      const t0 = performance.now();
      try {
        const loadBefore = os.loadavg()[0]!;
        const section = await BENCHMARKS[name]!(context);
        section.conditions = {
          date: new Date().toISOString(),
          seconds: (performance.now() - t0) / 1000,
          loadBefore,
          loadAfter: os.loadavg()[0]!,
        };
        sections.push(section);
        for (const t of section.targets) {
          context.say(
            `target ${t.name} ${t.target}: ${t.measured} -> ${t.met === undefined ? 'not judged' : t.met ? 'MET' : 'MISSED'}`,
          );
        }
      } catch (error) {
        failures.push(name);
        context.say(
          `${name} FAILED: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
        );
      }
      context.say(`== ${name} took ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    }
  } finally {
    await context.close();
    rmSync(tempDir, { recursive: true, force: true });
  }
  const seconds = (Date.now() - started.getTime()) / 1000;
  const chartDir = path.join(outDir, 'benchmarks');
  mkdirSync(chartDir, { recursive: true });
  for (const chart of sections.flatMap((s) => s.charts)) {
    writeFileSync(path.join(chartDir, chart.file), chart.svg);
  }
  const resultsFile = path.join(chartDir, 'results.json');
  // With --only, the other sections of the last run at this scale stay in the report.
  const all =
    names.length < Object.keys(BENCHMARKS).length ? merge(resultsFile, sections, scale) : sections;
  const report = renderReport({
    sections: all,
    started,
    seconds,
    scale,
    failures,
    measured: names,
  });
  // Formatted with the repository's own settings, as its format check wants every file.
  const prettier = await import('prettier');
  const format = async (text: string, file: string) =>
    prettier.format(text, { ...(await prettier.resolveConfig(file)), filepath: file });
  const reportFile = path.join(outDir, 'benchmarks.md');
  writeFileSync(reportFile, await format(report, reportFile));
  const stored = all.map((section) => ({
    ...section,
    charts: section.charts.map(({ file, alt }) => ({ file, alt, svg: '' })),
  }));
  writeFileSync(
    resultsFile,
    await format(
      JSON.stringify({ started, seconds, scale, failures, sections: stored }),
      resultsFile,
    ),
  );
  context.say(`\nwrote ${path.join(outDir, 'benchmarks.md')} (${seconds.toFixed(0)} s in all)`);
  if (failures.length > 0) {
    context.say(`failed: ${failures.join(', ')}`);
    process.exitCode = 1;
  }
}

/** The sections of the last results file at this scale, with the new ones in their place. */
function merge(file: string, fresh: SectionResult[], scale: Scale): SectionResult[] {
  let previous: SectionResult[] = [];
  try {
    const parsed = JSON.parse(readFileSync(file, 'utf8')) as {
      scale?: Scale;
      sections?: SectionResult[];
    };
    // Sections of an older results file without their text are dropped rather than half-shown.
    if (parsed.scale === scale) {
      previous = (parsed.sections ?? []).filter(
        (section) => typeof section.markdown === 'string' && Array.isArray(section.charts),
      );
    }
  } catch {
    // no earlier results
  }
  const byId = new Map(previous.map((section) => [section.id, section]));
  for (const section of fresh) byId.set(section.id, section);
  return Object.keys(BENCHMARKS).flatMap((id) => {
    const section = byId.get(id);
    return section ? [section] : [];
  });
}

main().catch((error: unknown) => {
  process.stderr.write(`bench failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});
