import type { Server } from 'node:http';
import type { Express } from 'express';
import type { Logger } from '../logging/logger';

/**
 * How long a service keeps an idle keep-alive connection open (Node's default, stated here because
 * the gateway's upstream agent drops its idle sockets before this). Longer would also hold a drain
 * up: a connection busy when the drain starts stays open for this long after its last response.
 */
export const KEEP_ALIVE_TIMEOUT_MS = 5_000;

/** Longest time a client may take to send a request's headers (Node's default, stated with the above). */
export const HEADERS_TIMEOUT_MS = 60_000;

export interface RunServiceOptions {
  app: Express;
  port: number;
  host?: string;
  log: Logger;
  /** Run in order on SIGTERM/SIGINT after the server stops accepting (stop consumers, close stores). */
  onShutdown?: Array<() => Promise<void>>;
  /** Longest time to wait for in-flight work before exiting anyway. */
  drainTimeoutMs?: number;
}

export interface RunningService {
  server: Server;
  port: number;
  shutdown(signal?: string): Promise<void>;
}

/** Listens, and drains on SIGTERM/SIGINT: no new connections, in-flight work finishes, then exit. */
export async function runService(options: RunServiceOptions): Promise<RunningService> {
  const { app, log } = options;
  const server = await new Promise<Server>((resolve, reject) => {
    const s = app.listen(options.port, options.host ?? '0.0.0.0', (error?: Error) => {
      if (error) reject(error);
      else resolve(s);
    });
  });
  server.keepAliveTimeout = KEEP_ALIVE_TIMEOUT_MS;
  server.headersTimeout = HEADERS_TIMEOUT_MS;
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : options.port;
  log.info({ port }, 'listening');

  let stopping: Promise<void> | undefined;
  const shutdown = (signal = 'shutdown') => {
    stopping ??= (async () => {
      log.info({ signal }, 'draining');
      const timer = setTimeout(() => {
        log.warn('drain timed out; exiting');
        process.exit(1);
      }, options.drainTimeoutMs ?? 25_000);
      timer.unref();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      for (const step of options.onShutdown ?? []) {
        try {
          await step();
        } catch (error) {
          log.error({ err: error }, 'shutdown step failed');
        }
      }
      await closed;
      clearTimeout(timer);
      log.info('stopped');
    })();
    return stopping;
  };
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () => {
      void shutdown(signal).then(() => process.exit(0));
    });
  }
  return { server, port, shutdown };
}
