import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import path from 'node:path';

/** The repository root (shared/src/testing → ../../..). */
export const REPO_ROOT = path.resolve(__dirname, '../../..');

/** moto's server from the project's venv, else from PATH. */
export function motoCommand(): string {
  const fromVenv = path.join(REPO_ROOT, '.venv/bin/moto_server');
  return existsSync(fromVenv) ? fromVenv : 'moto_server';
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

export interface MotoServer {
  endpoint: string;
  process: ChildProcess;
  stop(): Promise<void>;
}

/** Starts moto's server on loopback and waits until it answers; fails loudly if it cannot. */
export async function startMoto(timeoutMs = 30_000): Promise<MotoServer> {
  const port = await freePort();
  const child = spawn(motoCommand(), ['-H', '127.0.0.1', '-p', String(port)], {
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, MOTO_ALLOW_NONEXISTENT_REGION: 'true' },
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4000);
  });
  const spawnError = new Promise<never>((_, reject) => {
    child.once('error', (error) =>
      reject(
        new Error(
          `moto_server could not start (${error.message}); run .ci/run or pip install 'moto[server]'`,
        ),
      ),
    );
    child.once('exit', (code) => reject(new Error(`moto_server exited with ${code}: ${stderr}`)));
  });
  const endpoint = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + timeoutMs;
  const ready = (async () => {
    while (Date.now() < deadline) {
      try {
        const response = await fetch(`${endpoint}/moto-api/`);
        if (response.status < 500) return;
      } catch {
        // not listening yet
      }
      await new Promise((r) => setTimeout(r, 200));
    }
    throw new Error(`moto_server did not answer on ${endpoint} within ${timeoutMs} ms: ${stderr}`);
  })();
  await Promise.race([ready, spawnError]);
  child.removeAllListeners('exit');
  return {
    endpoint,
    process: child,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}
