/*
 * Gateway throughput and latency: authenticated `GET /v1/projects` with autocannon (64
 * connections, bounded duration) through the real gateway and project service (processes of
 * their own, embedded adapters), against a bare express app answering the same JSON in a process
 * of its own, in alternating runs of the same length.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import autocannon from 'autocannon';
import { freePort } from '@jitkb/shared/testing';
import { call } from '../test/e2e/client';
import { REPO_ROOT, table, type BenchContext, type SectionResult } from './lib/context';
import { canReadGroupCpu, groupCpuSeconds } from './lib/process-cpu';
import { fmt, fmtSpread, ratioSpread, spread } from './lib/stats';
import { barChart } from './lib/svg';

const CONNECTIONS = 64;
const PROJECTS = 5;

interface Load {
  rps: number;
  /** Requests completed in the run. */
  total: number;
  p50: number;
  p99: number;
  non2xx: number;
  errors: number;
}

function settings(context: BenchContext) {
  if (context.scale === 'smoke') return { runs: 1, seconds: 1, warmup: 1 };
  if (context.scale === 'quick') return { runs: 2, seconds: 5, warmup: 2 };
  return { runs: 3, seconds: 10, warmup: 3 };
}

function load(url: string, token: string | undefined, seconds: number): Promise<Load> {
  return new Promise((resolve, reject) => {
    autocannon(
      {
        url,
        connections: CONNECTIONS,
        duration: seconds,
        headers: token ? { authorization: `Bearer ${token}` } : {},
      },
      (error, result) => {
        if (error) return reject(error instanceof Error ? error : new Error(String(error)));
        resolve({
          rps: result.requests.average,
          total: result.requests.total,
          p50: result.latency.p50,
          p99: result.latency.p99,
          non2xx: result.non2xx,
          errors: result.errors,
        });
      },
    );
  });
}

async function startBare(body: string): Promise<{ url: string; child: ChildProcess }> {
  const port = await freePort();
  const child = spawn(
    path.join(REPO_ROOT, 'node_modules', '.bin', 'tsx'),
    [path.join(__dirname, 'gateway', 'bare-server.ts'), JSON.stringify({ port, body })],
    { cwd: REPO_ROOT, detached: true, stdio: ['ignore', 'pipe', 'inherit'] },
  );
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('the bare server did not start')), 30_000);
    child.stdout.on('data', (data: Buffer) => {
      if (data.toString().includes('LISTENING')) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once('exit', (code) => reject(new Error(`the bare server exited (${code})`)));
  });
  return { url: `http://127.0.0.1:${port}/v1/projects`, child };
}

function stop(child: ChildProcess): void {
  try {
    if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
  } catch {
    // already gone
  }
}

/** CPU microseconds per request of each process group, and of the bench process (autocannon). */
type CpuPerRequest = Record<string, number>;

/** Runs `work` and charges the CPU time the groups (and this process) spent to its requests. */
async function measured(
  groups: Record<string, number | undefined>,
  work: () => Promise<Load>,
): Promise<{ load: Load; cpu: CpuPerRequest | undefined }> {
  const pgids = Object.entries(groups).filter((e): e is [string, number] => e[1] !== undefined);
  if (!canReadGroupCpu() || pgids.length < Object.keys(groups).length) {
    return { load: await work(), cpu: undefined };
  }
  const before = pgids.map(([, pgid]) => groupCpuSeconds(pgid));
  const own = process.cpuUsage();
  const load = await work();
  const ownUsed = process.cpuUsage(own);
  const perRequest = (seconds: number) => (seconds * 1e6) / Math.max(1, load.total);
  const cpu: CpuPerRequest = Object.fromEntries(
    pgids.map(([name, pgid], i) => [name, perRequest(groupCpuSeconds(pgid) - before[i]!)]),
  );
  cpu['autocannon'] = perRequest((ownUsed.user + ownUsed.system) / 1e6);
  return { load, cpu };
}

export async function runGateway(context: BenchContext): Promise<SectionResult> {
  const { runs, seconds, warmup } = settings(context);
  const system = await context.system();
  const gateway: Load[] = [];
  const bare: Load[] = [];
  const gatewayCpu: CpuPerRequest[] = [];
  const bareCpu: CpuPerRequest[] = [];
  let bytes = 0;
  const token = await system.token(`bench-gw-${Date.now().toString(36)}`, 'alice', 'premium');
  for (let i = 0; i < PROJECTS; i++) {
    const created = await call(system.url, token, 'POST', '/v1/projects', {
      name: `project ${i}`,
    });
    if (created.status !== 201) throw new Error(`create project: ${created.status}`);
  }
  const listed = await call(system.url, token, 'GET', '/v1/projects');
  if (listed.status !== 200) throw new Error(`list projects: ${listed.status}`);
  const body = JSON.stringify(listed.body);
  bytes = Buffer.byteLength(body);
  const baseline = await startBare(body);
  try {
    const gatewayUrl = `${system.url}/v1/projects`;
    await load(baseline.url, undefined, warmup);
    await load(gatewayUrl, token, warmup);
    for (let run = 0; run < runs; run++) {
      const b0 = await measured({ 'bare express': baseline.child.pid }, () =>
        load(baseline.url, undefined, seconds),
      );
      const g0 = await measured(
        { gateway: system.processGroup('gateway'), project: system.processGroup('project') },
        () => load(gatewayUrl, token, seconds),
      );
      bare.push(b0.load);
      gateway.push(g0.load);
      if (b0.cpu) bareCpu.push(b0.cpu);
      if (g0.cpu) gatewayCpu.push(g0.cpu);
      const g = gateway[run]!;
      const b = bare[run]!;
      context.say(
        `gateway: run ${run + 1}: gateway ${fmt(g.rps, 0)} req/s p99 ${g.p99} ms; bare ${fmt(b.rps, 0)} req/s p99 ${b.p99} ms; ` +
          `ratio ${fmt(g.rps / b.rps)}${g.non2xx + g.errors > 0 ? `; gateway non-2xx ${g.non2xx}, errors ${g.errors}` : ''}`,
      );
    }
  } finally {
    stop(baseline.child);
  }
  const ratio = ratioSpread(
    gateway.map((g) => g.rps),
    bare.map((b) => b.rps),
  );
  const gatewayP99 = spread(gateway.map((g) => g.p99));
  const failures = gateway.reduce((s, g) => s + g.non2xx + g.errors, 0);
  const row = (name: string, loads: Load[]) => [
    name,
    fmtSpread(spread(loads.map((l) => l.rps)), 0),
    fmtSpread(spread(loads.map((l) => l.p50))),
    fmtSpread(spread(loads.map((l) => l.p99))),
    loads.reduce((s, l) => s + l.non2xx + l.errors, 0),
  ];
  const markdown = [
    `autocannon in the bench process, ${CONNECTIONS} connections, ${runs} alternating runs of ${seconds} s each after ` +
      `a ${warmup} s warm-up of each. Gateway: \`GET /v1/projects\` with a dev-issuer bearer token (ES256, verified ` +
      `by the gateway and again by the project service, each of which then remembers the verified token for up to 30 s), proxied to the project service, which lists ${PROJECTS} ` +
      `projects from its SQLite table store (${bytes} bytes of JSON). Baseline: a bare express app answering the same ` +
      `JSON with \`res.json\`. Every server is a process of its own; all share the 2 cores with autocannon.`,
    '',
    table(
      ['server', 'requests/s', 'p50 (ms)', 'p99 (ms)', 'non-2xx + errors'],
      [row('jitkb gateway → project', gateway), row('bare express', bare)],
    ),
    '',
    `Throughput ratio gateway / bare express, run by run: ${fmtSpread(ratio)}.`,
    ...cpuProfile(gatewayCpu, bareCpu, {
      gateway: spread(gateway.map((g) => g.rps)).median,
      bare: spread(bare.map((b) => b.rps)).median,
    }),
  ].join('\n');
  return {
    id: 'gateway',
    title: 'Gateway throughput',
    markdown,
    charts: [
      {
        file: 'gateway.svg',
        alt: 'requests per second, gateway against bare express',
        svg: barChart({
          title: `GET /v1/projects, ${CONNECTIONS} connections (requests/s)`,
          yLabel: 'requests/s',
          categories: gateway.map((_, i) => `run ${i + 1}`),
          series: [
            { name: 'jitkb gateway', values: gateway.map((g) => g.rps) },
            { name: 'bare express', values: bare.map((b) => b.rps) },
          ],
        }),
      },
    ],
    targets: [
      {
        name: 'throughput vs bare express',
        target: '>= 50 %',
        measured: `${fmt(ratio.median * 100, 0)} % (${fmtSpread(ratio)})`,
        met: context.scale === 'smoke' ? undefined : ratio.median >= 0.5 && failures === 0,
      },
      {
        name: 'gateway p99',
        target: '<= 20 ms',
        measured: `${fmtSpread(gatewayP99)} ms`,
        met: context.scale === 'smoke' ? undefined : gatewayP99.median <= 20,
      },
    ],
    data: { gateway, bare },
  };
}

/**
 * Where the CPU goes, per request, and what it allows: the gateway path's processes and
 * autocannon share 2 cores, so it serves at most 2 s of CPU per second over its CPU per request.
 */
function cpuProfile(
  gateway: CpuPerRequest[],
  bare: CpuPerRequest[],
  rps: { gateway: number; bare: number },
): string[] {
  if (gateway.length === 0 || bare.length === 0) return [];
  const cores = 2;
  const names = (runs: CpuPerRequest[]) => Object.keys(runs[0]!);
  const median = (runs: CpuPerRequest[], name: string) =>
    spread(runs.map((r) => r[name] ?? Number.NaN)).median;
  const total = (runs: CpuPerRequest[]) =>
    names(runs).reduce((sum, name) => sum + median(runs, name), 0);
  const rows = [
    ...names(gateway).map((name) => [`gateway run: ${name}`, fmt(median(gateway, name), 0)]),
    ['gateway run: all', fmt(total(gateway), 0)],
    ...names(bare).map((name) => [`bare run: ${name}`, fmt(median(bare, name), 0)]),
    ['bare run: all', fmt(total(bare), 0)],
  ];
  const ceiling = (cores * 1e6) / total(gateway);
  const budget = (cores * 1e6) / (0.5 * rps.bare);
  return [
    '',
    'CPU per request (µs, user + system, median over the runs), from /proc for each process group ' +
      'and from the bench process for autocannon:',
    '',
    table(['process', 'µs per request'], rows),
    '',
    `The gateway path spends ${fmt(total(gateway), 0)} µs of CPU per request in its three processes; ` +
      `on ${cores} cores that allows at most ${fmt(ceiling, 0)} req/s, and it served ` +
      `${fmt(rps.gateway, 0)}: it is bound by CPU. Half of bare express's ${fmt(rps.bare, 0)} req/s ` +
      `would need at most ${fmt(budget, 0)} µs per request, autocannon's share included. The path is ` +
      `two Node.js HTTP servers and one HTTP client per request (the gateway parses the request, ` +
      `checks the token, proxies it over a kept-alive connection; the project service parses it ` +
      `again, checks the token, reads SQLite and writes JSON) against one server in the baseline.`,
  ];
}
