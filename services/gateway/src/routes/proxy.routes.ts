import { Agent, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { CORRELATION_HEADER, KEEP_ALIVE_TIMEOUT_MS, problem, type Logger } from '@jitkb/shared';
import type { Request, RequestHandler, Response } from 'express';
import { createProxyMiddleware, fixRequestBody } from 'http-proxy-middleware';
import type { Upstream } from './api-routes';

export interface ProxyOptions {
  upstreams: Record<Upstream, string>;
  log: Logger;
  /** Longest silence from an upstream, a streamed answer included (ms). */
  timeoutMs: number;
  /**
   * Connections kept per upstream, busy and idle together (default 256). Streamed answers hold one
   * each for as long as they last, so this is well above the number of clients one gateway serves.
   */
  maxSockets?: number;
  /** Idle connections kept per upstream for the next request (default 64). */
  maxFreeSockets?: number;
}

/**
 * Idle upstream connections are dropped a second before the upstream would close them (the
 * services' server.keepAliveTimeout): a request written to a socket the server is closing at that
 * moment would fail with ECONNRESET.
 */
export const UPSTREAM_IDLE_TIMEOUT_MS = KEEP_ALIVE_TIMEOUT_MS - 1000;

/**
 * Connections to an upstream, reused across requests. Without an agent http-proxy sends
 * `Connection: close`, so each proxied request paid a TCP handshake and left a socket in
 * TIME_WAIT. `timeout` is the idle time of a free socket; a request in flight runs under the
 * proxy's own timeout instead.
 */
export function upstreamAgent(options: Pick<ProxyOptions, 'maxSockets' | 'maxFreeSockets'>): Agent {
  return new Agent({
    keepAlive: true,
    maxSockets: options.maxSockets ?? 256,
    maxFreeSockets: options.maxFreeSockets ?? 64,
    timeout: UPSTREAM_IDLE_TIMEOUT_MS,
  });
}

const START_CHAT = /^\/v1\/projects\/[^/]+\/chats\/?$/;

/** Which service serves a path: chats (and starting one) go to chat, the rest of /v1 to project. */
export function upstreamOf(path: string): Upstream | undefined {
  if (path === '/v1/chats' || path.startsWith('/v1/chats/') || START_CHAT.test(path)) return 'chat';
  if (path === '/v1/projects' || path.startsWith('/v1/projects/') || path === '/v1/tenant') {
    return 'project';
  }
  return undefined;
}

/** An unreachable or failing upstream: 503 problem+json, or a cut stream once headers are out. */
function upstreamError(name: Upstream, log: Logger) {
  return (error: Error, req: Request, res: Response | Socket) => {
    (req.log ?? log).warn({ err: error, upstream: name }, 'upstream request failed');
    if (!(res instanceof ServerResponse)) {
      res.destroy();
      return;
    }
    if (res.headersSent) {
      // Mid-stream: the status is gone, so the client must see the answer end abnormally.
      res.destroy(error);
      return;
    }
    const body = problem(503, 'unavailable', `the ${name} service is unavailable`, {
      ...(req.correlationId ? { correlationId: req.correlationId } : {}),
    });
    res.setHeader('Retry-After', '5');
    res.status(503).type('application/problem+json').send(JSON.stringify(body));
  };
}

/**
 * One proxy per upstream. Authorization and the other request headers go along unchanged, plus the
 * correlation id; a body the gateway parsed is written again; responses, event streams included,
 * are piped through as they arrive.
 */
export function proxyRoutes(options: ProxyOptions): RequestHandler[] {
  return (['chat', 'project'] as const).map((name) =>
    createProxyMiddleware<Request, Response>({
      target: options.upstreams[name],
      agent: upstreamAgent(options),
      pathFilter: (_path, req) => upstreamOf(req.path) === name,
      changeOrigin: true,
      xfwd: true,
      proxyTimeout: options.timeoutMs,
      on: {
        proxyReq: (proxyReq, req) => {
          if (req.correlationId) proxyReq.setHeader(CORRELATION_HEADER, req.correlationId);
          fixRequestBody(proxyReq, req);
        },
        error: upstreamError(name, options.log),
      },
    }),
  );
}
