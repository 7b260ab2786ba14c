import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import express from 'express';
import { freePort } from '@jitkb/shared/testing';
import { LocalObjectStore } from '../src/adapters/local/local-object-store';
import { describeObjectStore } from '../src/contracts/object-store.contract';

async function listen(app: express.Express, port: number): Promise<Server> {
  const server = createServer(app);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  return server;
}

// The upload route mounted the way the gateway mounts it, on a real loopback port.
describeObjectStore('local files', async () => {
  const root = await mkdtemp(path.join(tmpdir(), 'jitkb-objects-'));
  const port = await freePort();
  const store = new LocalObjectStore({
    root,
    secret: randomBytes(32).toString('base64url'),
    publicUrl: `http://127.0.0.1:${port}`,
  });
  const app = express();
  app.use(store.uploadRouter());
  const server = await listen(app, port);
  return {
    store,
    async cleanup() {
      server.closeAllConnections();
      await new Promise<void>((resolve, reject) =>
        server.close((error) => (error ? reject(error) : resolve())),
      );
      await rm(root, { recursive: true, force: true });
    },
  };
});
