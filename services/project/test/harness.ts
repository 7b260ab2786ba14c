import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import express, { type RequestHandler } from 'express';
import request from 'supertest';
import {
  AppError,
  DEFAULT_TIERS,
  type Adapters,
  type EventEnvelope,
  type TierConfig,
  type UploadTarget,
} from '@jitkb/shared';
import { createServiceTestbed, freePort } from '@jitkb/shared/testing';
import { createProjectService, type ProjectService } from '../src/app';
import { configSchema } from '../src/config';

/** Small limits, so that every limit is reached in a few requests. */
export const TEST_TIERS: TierConfig = {
  tiers: {
    free: { ...DEFAULT_TIERS.free!, maxFilesPerProject: 2, maxFileBytes: 1000 },
    premium: { ...DEFAULT_TIERS.premium!, maxFilesPerProject: 20, maxFileBytes: 100_000 },
  },
  tenants: {},
};

/** Stands in for the token middleware: the tenant comes from test headers. */
const testAuth: RequestHandler = (req, _res, next) => {
  const tenantId = req.header('x-test-tenant');
  if (!tenantId) {
    next(new AppError('unauthorized', 'a bearer token is required'));
    return;
  }
  req.tenant = {
    tenantId,
    userId: `user-of-${tenantId}`,
    email: undefined,
    tier: req.header('x-test-tier') ?? 'free',
  };
  next();
};

export interface Harness {
  service: ProjectService;
  adapters: Adapters;
  /** Events that reached the janitor's queue. */
  janitorEvents: EventEnvelope[];
  /** Queries per tenant reported by the injected `queryUsage`. */
  queryUsage: Map<string, number>;
  /** A supertest client acting as `tenantId`. */
  as(tenantId: string, tier?: string): TenantClient;
  /** Sends a body through an upload target, as a browser would; returns the status. */
  upload(target: UploadTarget, body: Buffer, contentType?: string): Promise<number>;
  close(): Promise<void>;
}

export interface TenantClient {
  get(url: string): request.Test;
  post(url: string, body?: unknown): request.Test;
  delete(url: string): request.Test;
}

/** The project service on the embedded adapters in a temporary data directory. */
export async function startHarness(): Promise<Harness> {
  const uploadPort = await freePort();
  const testbed = await createServiceTestbed({
    service: 'project',
    schema: configSchema,
    tiers: TEST_TIERS,
    env: {
      JITKB_PUBLIC_URL: `http://127.0.0.1:${uploadPort}`,
      JITKB_UPLOAD_SECRET: randomBytes(32).toString('base64url'),
    },
  });
  const { adapters } = testbed;
  const uploads = express();
  if (adapters.localObjects) uploads.use(adapters.localObjects.uploadRouter());
  const uploadServer = await listen(uploads, uploadPort);
  testbed.onClose(async () => {
    uploadServer.closeAllConnections();
    await new Promise<void>((resolve) => uploadServer.close(() => resolve()));
  });

  const queryUsage = new Map<string, number>();
  const service = createProjectService({
    adapters,
    log: testbed.log,
    metrics: testbed.metrics,
    tiers: testbed.tiers,
    authenticate: testAuth,
    queryUsage: async (tenantId) => queryUsage.get(tenantId) ?? 0,
  });
  const janitorEvents: EventEnvelope[] = [];
  testbed.consume({
    consumer: 'janitor',
    waitTimeSeconds: 0.05,
    handler: async ({ event }) => {
      janitorEvents.push(event);
    },
  });

  const as = (tenantId: string, tier = 'free'): TenantClient => {
    const auth = (test: request.Test) =>
      test.set('x-test-tenant', tenantId).set('x-test-tier', tier);
    return {
      get: (url) => auth(request(service.app).get(url)),
      post: (url, body) => {
        const test = auth(request(service.app).post(url));
        return body === undefined ? test : test.send(body as object);
      },
      delete: (url) => auth(request(service.app).delete(url)),
    };
  };

  return {
    service,
    adapters,
    janitorEvents,
    queryUsage,
    as,
    async upload(target, body, contentType) {
      const headers = {
        ...target.headers,
        ...(contentType ? { 'content-type': contentType } : {}),
      };
      const response = await fetch(target.url, { method: target.method, headers, body });
      return response.status;
    },
    close: () => testbed.close(),
  };
}

async function listen(app: express.Express, port: number): Promise<Server> {
  const server = createServer(app);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  return server;
}

/** Waits until `check` holds, polling; fails the test after `timeoutMs`. */
export async function eventually(
  check: () => boolean | Promise<boolean>,
  timeoutMs = 3000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
