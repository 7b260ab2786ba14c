/**
 * The whole system for end-to-end tests: the five services as separate processes on loopback, on
 * either adapter family, reached only over HTTP through the gateway with real tokens.
 *
 * - embedded: every service on the embedded adapters, sharing one temporary JITKB_DATA_DIR; the
 *   gateway serves the dev OIDC issuer.
 * - aws: the aws adapters against the test run's moto server (resources under a unique prefix), a
 *   local knowledge base in a temporary file, and sign-in through one extra gateway in embedded
 *   mode that serves only its dev issuer, as docker-compose.yml does.
 *
 * Each process writes its output to test-results/e2e/<run>/<service>.log.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { freePort, REPO_ROOT, testAwsEndpoint, uniquePrefix } from '@jitkb/shared/testing';
import { setupAws } from '../../localstack/setup';

export const SERVICES = ['gateway', 'project', 'chat', 'ingestion', 'janitor'] as const;
export type ServiceName = (typeof SERVICES)[number];

export interface SystemOptions {
  mode: 'embedded' | 'aws';
  /** Extra variables for every process (TIERS, LOG_LEVEL, ...); they win over the defaults. */
  env?: Record<string, string>;
  /** Names the log directory (default: the mode). */
  label?: string;
  /** Longest wait for every /healthz (default 60 s). */
  startTimeoutMs?: number;
}

export interface System {
  mode: SystemOptions['mode'];
  /** The gateway: the only public entry. */
  url: string;
  /** Each service's own address, for tests that bypass the gateway on purpose. */
  services: Record<ServiceName, string>;
  /** The dev issuer: `iss` of its tokens and the file holding its signing key (ES256 JWK). */
  issuer: { url: string; iss: string; keyFile: string };
  /** Where the processes' output goes. */
  logDir: string;
  /** A bearer token from the dev issuer (`POST /dev/token`). */
  token(tenantId: string, userId: string, tier?: string): Promise<string>;
  /** The variables the services were started with (mode, data directory or AWS resources, ...). */
  env: Record<string, string>;
  /** The process group of a service (its pid under `tsx`), for benchmarks that read its CPU time. */
  processGroup(name: ServiceName): number | undefined;
  /** Signals one service's process group (default SIGKILL) and waits until it has exited. */
  kill(name: ServiceName, signal?: NodeJS.Signals): Promise<void>;
  /** Starts a service that was killed again, on its port and with its environment; waits for /healthz. */
  restart(name: ServiceName): Promise<void>;
  /** SIGTERM to every process group, SIGKILL after a few seconds; removes the temporary data. */
  stop(): Promise<void>;
}

interface Running {
  name: string;
  child: ChildProcess;
  logFile: string;
  exited: Promise<void>;
}

const TSX = path.join(REPO_ROOT, 'node_modules/.bin/tsx');
const KILL_AFTER_MS = 5000;

/** Starts the system and waits until every process answers /healthz. */
export async function startSystem(options: SystemOptions): Promise<System> {
  const label = options.label ?? options.mode;
  const logDir = path.join(
    REPO_ROOT,
    'test-results/e2e',
    `${label}-${Date.now().toString(36)}-${process.pid}`,
  );
  mkdirSync(logDir, { recursive: true });
  const tempDir = mkdtempSync(path.join(tmpdir(), `jitkb-e2e-${options.mode}-`));
  const running: Running[] = [];
  const stop = async () => {
    await stopAll(running);
    rmSync(tempDir, { recursive: true, force: true });
  };

  try {
    const names = options.mode === 'aws' ? [...SERVICES, 'issuer' as const] : SERVICES;
    const ports = Object.fromEntries(
      await Promise.all(names.map(async (name) => [name, await freePort()] as const)),
    ) as Record<ServiceName | 'issuer', number>;
    const address = (name: ServiceName | 'issuer') => `http://127.0.0.1:${ports[name]}`;
    const services = Object.fromEntries(SERVICES.map((s) => [s, address(s)])) as Record<
      ServiceName,
      string
    >;
    const gatewayUrl = services.gateway;
    const common: Record<string, string> = {
      LOG_LEVEL: 'info',
      GATEWAY_URL: gatewayUrl,
      PROJECT_URL: services.project,
      CHAT_URL: services.chat,
      JITKB_PUBLIC_URL: gatewayUrl,
    };

    let env: Record<string, string>;
    let issuerUrl: string;
    let issuerDataDir: string;
    if (options.mode === 'embedded') {
      issuerUrl = gatewayUrl;
      issuerDataDir = path.join(tempDir, 'data');
      env = {
        ...common,
        JITKB_MODE: 'embedded',
        // No JITKB_UPLOAD_SECRET: the processes share the one generated in the data directory,
        // as with `npm start`.
        JITKB_DATA_DIR: issuerDataDir,
      };
    } else {
      issuerUrl = address('issuer');
      issuerDataDir = path.join(tempDir, 'issuer');
      const aws = await setupAws({
        region: 'us-east-1',
        endpoint: testAwsEndpoint(),
        prefix: uniquePrefix('e2e'),
      });
      env = {
        ...common,
        AWS_ACCESS_KEY_ID: process.env.AWS_ACCESS_KEY_ID ?? 'testing',
        AWS_SECRET_ACCESS_KEY: process.env.AWS_SECRET_ACCESS_KEY ?? 'testing',
        ...aws,
        JITKB_MODE: 'aws',
        JITKB_KB_PATH: path.join(tempDir, 'kb', 'kb.db'),
        OIDC_ISSUER: `${issuerUrl}/dev/oidc`,
        OIDC_JWKS_URL: `${issuerUrl}/dev/oidc/jwks`,
      };
      running.push(
        spawnService('gateway', 'issuer', logDir, {
          ...options.env,
          LOG_LEVEL: 'info',
          JITKB_MODE: 'embedded',
          JITKB_DATA_DIR: issuerDataDir,
          JITKB_PUBLIC_URL: issuerUrl,
          GATEWAY_URL: issuerUrl,
          PORT: String(ports.issuer),
        }),
      );
    }
    const serviceEnv = (name: ServiceName) => ({
      ...env,
      ...options.env,
      PORT: String(ports[name]),
    });
    for (const name of SERVICES) running.push(spawnService(name, name, logDir, serviceEnv(name)));

    const deadline = Date.now() + (options.startTimeoutMs ?? 60_000);
    await Promise.all(
      running.map((r) =>
        waitHealthy(r, r.name === 'issuer' ? issuerUrl : services[r.name as ServiceName], deadline),
      ),
    );

    return {
      mode: options.mode,
      url: gatewayUrl,
      services,
      issuer: {
        url: issuerUrl,
        iss: `${issuerUrl}/dev/oidc`,
        keyFile: path.join(issuerDataDir, 'dev-oidc-key.json'),
      },
      logDir,
      token: (tenantId, userId, tier) => devToken(issuerUrl, { tenantId, userId, tier }),
      env: { ...env, ...options.env },
      processGroup: (name) => running.find((r) => r.name === name)?.child.pid,
      async kill(name, signal = 'SIGKILL') {
        const target = running.find((r) => r.name === name);
        if (!target) throw new Error(`no process named ${name}`);
        signalGroup(target.child, signal);
        await target.exited;
        if (target.child.pid !== undefined) {
          try {
            // The node process under tsx may outlive tsx by a moment.
            process.kill(-target.child.pid, 'SIGKILL');
          } catch {
            // already gone
          }
        }
      },
      async restart(name) {
        const index = running.findIndex((r) => r.name === name);
        const previous = running[index];
        if (!previous) throw new Error(`no process named ${name}`);
        if (previous.child.exitCode === null && previous.child.signalCode === null) {
          throw new Error(`${name} is still running`);
        }
        const next = spawnService(name, name, logDir, serviceEnv(name));
        running[index] = next;
        await waitHealthy(next, services[name], Date.now() + (options.startTimeoutMs ?? 60_000));
      },
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

function spawnService(
  service: ServiceName,
  name: string,
  logDir: string,
  env: Record<string, string>,
): Running {
  const logFile = path.join(logDir, `${name}.log`);
  const fd = openSync(logFile, 'a');
  try {
    const child = spawn(
      TSX,
      ['--conditions=@jitkb/source', path.join(REPO_ROOT, 'services', service, 'src/main.ts')],
      {
        cwd: REPO_ROOT,
        // Its own process group: tsx and the node process it starts are stopped together.
        detached: true,
        stdio: ['ignore', fd, fd],
        env: { ...process.env, ...env },
      },
    );
    const exited = new Promise<void>((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) resolve();
      else child.once('exit', () => resolve());
    });
    child.once('error', () => undefined);
    return { name, child, logFile, exited };
  } finally {
    closeSync(fd);
  }
}

function logTail(file: string, lines = 30): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

async function waitHealthy(running: Running, url: string, deadline: number): Promise<void> {
  const { child, name } = running;
  while (child.exitCode === null && child.signalCode === null) {
    try {
      const res = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(1000) });
      await res.arrayBuffer();
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      throw new Error(
        `${name} did not become healthy; ${running.logFile}:\n${logTail(running.logFile)}`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(
    `${name} exited (${child.signalCode ?? child.exitCode}) during start-up; ${running.logFile}:\n${logTail(running.logFile)}`,
  );
}

function signalGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // the group is already gone
  }
}

async function stopAll(running: Running[]): Promise<void> {
  for (const r of running) signalGroup(r.child, 'SIGTERM');
  await Promise.all(
    running.map(async (r) => {
      let timer: NodeJS.Timeout | undefined;
      const forced = new Promise<void>((resolve) => {
        timer = setTimeout(() => {
          signalGroup(r.child, 'SIGKILL');
          resolve();
        }, KILL_AFTER_MS);
      });
      await Promise.race([r.exited, forced]);
      clearTimeout(timer);
      // The node process under tsx may outlive tsx by a moment: make sure the group is gone.
      if (r.child.pid !== undefined) {
        try {
          process.kill(-r.child.pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
      await r.exited;
    }),
  );
}

async function devToken(
  issuerUrl: string,
  body: { tenantId: string; userId: string; tier?: string | undefined },
): Promise<string> {
  const res = await fetch(`${issuerUrl}/dev/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(
      body.tier === undefined ? { tenantId: body.tenantId, userId: body.userId } : body,
    ),
    signal: AbortSignal.timeout(5000),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`POST /dev/token answered ${res.status}: ${text}`);
  const parsed = JSON.parse(text) as { access_token?: unknown };
  if (typeof parsed.access_token !== 'string') throw new Error('POST /dev/token: no access_token');
  return parsed.access_token;
}
