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
import { fmt, fmtSpread, ratioSpread, spread } from './lib/stats';
import { barChart } from './lib/svg';

const CONNECTIONS = 64;
const PROJECTS = 5;

interface Load {
  rps: number;
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

export async function runGateway(context: BenchContext): Promise<SectionResult> {
  const { runs, seconds, warmup } = settings(context);
  const system = await context.system();
  const gateway: Load[] = [];
  const bare: Load[] = [];
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
      bare.push(await load(baseline.url, undefined, seconds));
      gateway.push(await load(gatewayUrl, token, seconds));
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
      `a ${warmup} s warm-up of each. Gateway: \`GET /v1/projects\` with a dev-issuer bearer token (ES256 verified ` +
      `by the gateway, then again by the project service), proxied to the project service, which lists ${PROJECTS} ` +
      `projects from its SQLite table store (${bytes} bytes of JSON). Baseline: a bare express app answering the same ` +
      `JSON with \`res.json\`. Every server is a process of its own; all share the 2 cores with autocannon.`,
    '',
    table(
      ['server', 'requests/s', 'p50 (ms)', 'p99 (ms)', 'non-2xx + errors'],
      [row('jitkb gateway → project', gateway), row('bare express', bare)],
    ),
    '',
    `Throughput ratio gateway / bare express, run by run: ${fmtSpread(ratio)}.`,
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
