import { ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { CORRELATION_HEADER, problem, type Logger } from '@jitkb/shared';
import type { Request, RequestHandler, Response } from 'express';
import { createProxyMiddleware, fixRequestBody } from 'http-proxy-middleware';
import type { Upstream } from './api-routes';

export interface ProxyOptions {
  upstreams: Record<Upstream, string>;
  log: Logger;
  /** Longest silence from an upstream, a streamed answer included (ms). */
  timeoutMs: number;
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
