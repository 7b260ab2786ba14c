export const ERROR_CODES = [
  'not_found',
  'invalid_input',
  'conflict',
  'unauthorized',
  'forbidden',
  'too_many_requests',
  'payload_too_large',
  'unsupported_media_type',
  'unavailable',
  'internal',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

export interface AppErrorOptions {
  /** Whether repeating the same operation later may succeed (throttling, 5xx, timeouts). */
  retryable?: boolean;
  cause?: unknown;
  /** A problem type slug for clients, e.g. `limit-exceeded`; defaults to the code. */
  type?: string;
  /** Extra members for the problem+json body (e.g. the readiness of a chat). */
  extensions?: Record<string, unknown>;
  /** Seconds after which a client may retry (429, 503). */
  retryAfterSeconds?: number;
}

/** The one error type the domain throws; the HTTP error handler maps `code` to a status. */
export class AppError extends Error {
  readonly code: ErrorCode;
  readonly retryable: boolean;
  readonly type: string;
  readonly extensions: Record<string, unknown> | undefined;
  readonly retryAfterSeconds: number | undefined;

  constructor(code: ErrorCode, message: string, options: AppErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'AppError';
    this.code = code;
    this.retryable = options.retryable ?? (code === 'unavailable' || code === 'too_many_requests');
    this.type = options.type ?? code.replace(/_/g, '-');
    this.extensions = options.extensions;
    this.retryAfterSeconds = options.retryAfterSeconds;
  }

  static notFound(what: string): AppError {
    return new AppError('not_found', `${what} not found`);
  }

  static invalid(message: string, extensions?: Record<string, unknown>): AppError {
    return new AppError('invalid_input', message, extensions ? { extensions } : {});
  }

  static conflict(message: string, options: AppErrorOptions = {}): AppError {
    return new AppError('conflict', message, options);
  }
}

export function isAppError(error: unknown): error is AppError {
  return error instanceof AppError;
}

/** Thrown by a table when a conditional write's condition does not hold. */
export class ConditionFailedError extends AppError {
  constructor(message = 'condition failed', cause?: unknown) {
    super('conflict', message, { type: 'condition-failed', cause });
    this.name = 'ConditionFailedError';
  }
}

/**
 * Thrown by a queue handler to put its message back for a while without counting it as a
 * failure of the handler (for example when a rate limit says "not yet").
 */
export class DeferMessageError extends Error {
  constructor(
    readonly delaySeconds: number,
    message = 'deferred',
  ) {
    super(message);
    this.name = 'DeferMessageError';
  }
}
