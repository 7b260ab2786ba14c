/**
 * `npm start`: the five services as separate processes on the embedded adapters, as in production,
 * with data under JITKB_DATA_DIR. Ctrl-C stops them all cleanly.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import pinoPretty from 'pino-pretty';

const ROOT = path.resolve(__dirname, '..');
const SERVICES = [
  { name: 'gateway', port: 8080 },
  { name: 'project', port: 8081 },
  { name: 'chat', port: 8082 },
  { name: 'ingestion', port: 8083 },
  { name: 'janitor', port: 8084 },
] as const;

const basePort = Number(process.env.JITKB_BASE_PORT ?? 8080);
const dataDir = path.resolve(process.env.JITKB_DATA_DIR ?? path.join(ROOT, '.data'));
const publicUrl = process.env.JITKB_PUBLIC_URL ?? `http://localhost:${basePort}`;
const tsx = path.join(ROOT, 'node_modules/.bin/tsx');
// Readable lines in a terminal, JSON when the output goes elsewhere (a file, a log collector).
const logFormat = process.env.JITKB_LOG_FORMAT ?? (process.stdout.isTTY ? 'pretty' : 'json');
if (logFormat !== 'pretty' && logFormat !== 'json') {
  console.error(`JITKB_LOG_FORMAT must be pretty or json, not ${logFormat}`);
  process.exit(2);
}

const serviceUrls = Object.fromEntries(
  SERVICES.map((s, i) => [`${s.name.toUpperCase()}_URL`, `http://127.0.0.1:${basePort + i}`]),
);

const children: ChildProcess[] = [];
let stopping = false;

function stopAll(code: number): void {
  if (stopping) return;
  stopping = true;
  console.log('\nstopping jitkb…');
  for (const child of children) if (child.exitCode === null) child.kill('SIGTERM');
  const forced = setTimeout(() => {
    for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
  }, 30_000);
  forced.unref();
  void Promise.all(
    children.map((c) =>
      c.exitCode !== null ? Promise.resolve() : new Promise((r) => c.once('exit', r)),
    ),
  ).then(() => process.exit(code));
}

SERVICES.forEach((service, i) => {
  const child = spawn(
    tsx,
    ['--conditions=@jitkb/source', path.join(ROOT, 'services', service.name, 'src/main.ts')],
    {
      cwd: ROOT,
      stdio: ['ignore', logFormat === 'pretty' ? 'pipe' : 'inherit', 'inherit'],
      env: {
        ...process.env,
        ...serviceUrls,
        JITKB_MODE: 'embedded',
        JITKB_DATA_DIR: dataDir,
        JITKB_PUBLIC_URL: publicUrl,
        PORT: String(basePort + i),
      },
    },
  );
  // One prettifier per service: lines of different services never interleave mid-line.
  child.stdout?.pipe(
    pinoPretty({
      colorize: process.stdout.isTTY,
      translateTime: 'SYS:HH:MM:ss.l',
      ignore: 'pid,hostname,service,version',
      messageFormat: `${service.name.padEnd(9)} {msg}`,
      destination: 1,
      sync: true,
    }),
  );
  child.once('exit', (code, signal) => {
    if (!stopping) {
      console.error(`${service.name} exited (${signal ?? code}); stopping the others`);
      stopAll(1);
    }
  });
  children.push(child);
});

process.on('SIGINT', () => stopAll(0));
process.on('SIGTERM', () => stopAll(0));

async function waitHealthy(): Promise<void> {
  const deadline = Date.now() + 60_000;
  for (const [i, service] of SERVICES.entries()) {
    const url = `http://127.0.0.1:${basePort + i}/healthz`;
    while (!stopping) {
      try {
        if ((await fetch(url)).ok) break;
      } catch {
        // not up yet
      }
      if (Date.now() > deadline) throw new Error(`${service.name} did not become healthy`);
      await new Promise((r) => setTimeout(r, 250));
    }
  }
}

waitHealthy().then(
  () => {
    console.log(`\njitkb is running (embedded mode, data in ${dataDir})`);
    console.log(`open ${publicUrl}/  — Ctrl-C to stop\n`);
  },
  (error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    stopAll(1);
  },
);
