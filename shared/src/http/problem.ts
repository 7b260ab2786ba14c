import type { ErrorRequestHandler, RequestHandler } from 'express';
import { ZodError } from 'zod';
import { AppError, type ErrorCode } from '../errors/app-error';
import type { Logger } from '../logging/logger';

/** HTTP status of each error code: the one mapping for every service. */
export const STATUS_BY_CODE: Record<ErrorCode, number> = {
  not_found: 404,
  invalid_input: 400,
  conflict: 409,
  unauthorized: 401,
  forbidden: 403,
  too_many_requests: 429,
  payload_too_large: 413,
  unsupported_media_type: 415,
  unavailable: 503,
  internal: 500,
};

const TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  409: 'Conflict',
  413: 'Content Too Large',
  415: 'Unsupported Media Type',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  instance?: string;
  correlationId?: string;
  [extension: string]: unknown;
}

export const PROBLEM_TYPE_BASE = 'https://jitkb.dev/problems/';

export function problem(
  status: number,
  type: string,
  detail: string,
  extra: Record<string, unknown> = {},
): Problem {
  return {
    type: `${PROBLEM_TYPE_BASE}${type}`,
    title: TITLES[status] ?? 'Error',
    status,
    detail,
    ...extra,
  };
}

/** Maps any thrown value to a problem; unknown errors become a 500 whose message is hidden. */
export function toProblem(error: unknown): {
  problem: Problem;
  retryAfter?: number;
  expose: boolean;
} {
  if (error instanceof AppError) {
    const status = STATUS_BY_CODE[error.code];
    return {
      problem: problem(status, error.type, error.message, error.extensions ?? {}),
      ...(error.retryAfterSeconds !== undefined ? { retryAfter: error.retryAfterSeconds } : {}),
      expose: status < 500,
    };
  }
  if (error instanceof ZodError) {
    const errors = error.issues.map((issue) => ({
      path: issue.path.join('.'),
      message: issue.message,
    }));
    return {
      problem: problem(
        400,
        'invalid-input',
        errors.map((e) => `${e.path || '(body)'}: ${e.message}`).join('; '),
        {
          errors,
        },
      ),
      expose: true,
    };
  }
  // The router could not percent-decode a path parameter (not UTF-8): the request is malformed.
  if (error instanceof URIError) {
    return {
      problem: problem(400, 'invalid-input', 'the path is not valid percent-encoded UTF-8'),
      expose: true,
    };
  }
  // body-parser errors carry an HTTP status and a type.
  const http = error as { status?: unknown; type?: unknown; expose?: unknown };
  if (
    typeof http.status === 'number' &&
    http.status >= 400 &&
    http.status < 500 &&
    http.expose === true
  ) {
    const type = http.type === 'entity.too.large' ? 'payload-too-large' : 'invalid-input';
    const detail =
      http.type === 'entity.parse.failed'
        ? 'the body is not valid JSON'
        : http.type === 'entity.too.large'
          ? 'the body is too large'
          : 'the request could not be read';
    return { problem: problem(http.status, type, detail), expose: true };
  }
  return { problem: problem(500, 'internal', 'an unexpected error occurred'), expose: false };
}

/** The one error handler: RFC 9457 problem+json, with the correlation id; logs 5xx once. */
export function problemHandler(log: Logger): ErrorRequestHandler {
  return (error: unknown, req, res, _next) => {
    const { problem: body, retryAfter, expose } = toProblem(error);
    const correlationId = res.locals.correlationId as string | undefined;
    if (correlationId) body.correlationId = correlationId;
    if (!expose) {
      (req.log ?? log).error({ err: error }, 'request failed');
    }
    if (retryAfter !== undefined)
      res.setHeader('Retry-After', String(Math.max(1, Math.ceil(retryAfter))));
    res.status(body.status).type('application/problem+json').send(JSON.stringify(body));
  };
}

/** 404 problem for routes nobody serves. */
export const notFoundHandler: RequestHandler = (_req, _res, next) => {
  next(new AppError('not_found', 'no such route'));
};
