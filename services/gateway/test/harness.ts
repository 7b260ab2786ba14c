import { mkdtempSync, rmSync } from 'node:fs';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  createAdapters,
  createLogger,
  createMetrics,
  loadConfig,
  modeSchema,
  type Adapters,
} from '@jitkb/shared';
import express, { type Express } from 'express';
import { configSchema } from '../src/config';
import { createGateway } from '../src/gateway';

export const log = createLogger({ service: 'gateway-test', level: 'silent' });

/** Tiers with small query limits, so that a test reaches them quickly. */
export const TEST_TIERS = {
  free: {
    maxFilesPerProject: 5,
    ttlSeconds: 3600,
    maxFileBytes: 1024,
    queriesPerMinute: 3,
    ingestJobsPerMinute: 5,
  },
  premium: {
    maxFilesPerProject: 50,
    ttlSeconds: 3600,
    maxFileBytes: 1024,
    queriesPerMinute: 5,
    ingestJobsPerMinute: 5,
  },
};

export interface Listening {
  url: string;
  close(): Promise<void>;
}

/** Serves `app` on a loopback port of its own. */
export async function listen(app: Express): Promise<Listening> {
  const server = await new Promise<Server>((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export interface SeenRequest {
  method: string;
  url: string;
  headers: Record<string, string | string[] | undefined>;
  body: unknown;
}

/** A stand-in for the project or chat service: records what reached it and answers JSON. */
export function stubService(name: string, seen: SeenRequest[]): Express {
  const app = express();
  app.use(express.json());
  app.use((req, res, next) => {
    seen.push({ method: req.method, url: req.originalUrl, headers: req.headers, body: req.body });
    const streamed = req.method === 'POST' && req.header('accept') === 'text/event-stream';
    if (streamed) {
      next();
      return;
    }
    res.status(req.method === 'POST' ? 201 : 200).json({ service: name, path: req.originalUrl });
  });
  return app;
}

export interface GatewayFixture {
  url: string;
  dataDir: string;
  adapters: Adapters;
  close(): Promise<void>;
}

/** The gateway, in-process on a loopback port, with its embedded adapters in a temp directory. */
export async function startGateway(env: Record<string, string>): Promise<GatewayFixture> {
  const dataDir = env.JITKB_DATA_DIR ?? mkdtempSync(path.join(tmpdir(), 'jitkb-gateway-'));
  const config = loadConfig(configSchema, {
    JITKB_DATA_DIR: dataDir,
    TIERS: JSON.stringify(TEST_TIERS),
    ...env,
  });
  // The embedded rate limiters in both modes: what differs by mode is the gateway's routes.
  const adapters = createAdapters(loadConfig(modeSchema, { JITKB_DATA_DIR: dataDir }), { log });
  const metrics = createMetrics('gateway', { defaults: false });
  const gateway = await createGateway(config, {
    adapters: config.JITKB_MODE === 'embedded' ? adapters : { rateLimiters: adapters.rateLimiters },
    log,
    metrics,
  });
  const server = await listen(gateway);
  return {
    url: server.url,
    dataDir,
    adapters,
    async close() {
      await server.close();
      await adapters.close();
      if (!env.JITKB_DATA_DIR) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** A dev token from the gateway's own issuer. */
export async function devToken(
  gatewayUrl: string,
  body: Record<string, unknown> = { tenantId: 'acme', userId: 'u1' },
): Promise<string> {
  const res = await fetch(`${gatewayUrl}/dev/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  if (res.status !== 200) throw new Error(`dev token: ${res.status} ${await res.text()}`);
  return ((await res.json()) as { access_token: string }).access_token;
}

export function bearer(token: string, extra: Record<string, string> = {}) {
  return { authorization: `Bearer ${token}`, ...extra };
}
