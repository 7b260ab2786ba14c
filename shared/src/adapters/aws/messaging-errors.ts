import { AppError } from '../../errors/app-error';

/** The parts of an AWS SDK v3 service exception that tell whether a retry may help. */
interface SdkErrorShape {
  name?: unknown;
  code?: unknown;
  $fault?: unknown;
  $metadata?: { httpStatusCode?: unknown };
  $retryable?: { throttling?: unknown };
}

const THROTTLING = new Set([
  'Throttling',
  'ThrottlingException',
  'ThrottledException',
  'RequestThrottled',
  'RequestThrottledException',
  'TooManyRequestsException',
  'RequestLimitExceeded',
  'KMSThrottlingException',
  'OverLimit',
]);

/** Failures without an answer from the service: the network or the endpoint was down. */
const NETWORK = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
]);

function shapeOf(error: unknown): SdkErrorShape {
  return typeof error === 'object' && error !== null ? error : {};
}

/**
 * Wraps an SNS or SQS SDK error in an AppError: throttling, 5xx and network failures are
 * `unavailable` and retryable; anything else (a missing queue, bad credentials, a bad request) is a
 * non-retryable `internal` error, because retrying the same call cannot fix configuration.
 */
export function toAppError(error: unknown, operation: string): AppError {
  if (error instanceof AppError) return error;
  const shape = shapeOf(error);
  const name = typeof shape.name === 'string' ? shape.name : 'Error';
  const status =
    typeof shape.$metadata?.httpStatusCode === 'number'
      ? shape.$metadata.httpStatusCode
      : undefined;
  const throttled = shape.$retryable?.throttling === true || THROTTLING.has(name);
  const serverSide = status !== undefined ? status >= 500 : shape.$fault === 'server';
  const network =
    (typeof shape.code === 'string' && NETWORK.has(shape.code)) || name === 'TimeoutError';
  if (throttled || serverSide || network) {
    return new AppError('unavailable', `${operation} failed (${name}); it may succeed later`, {
      cause: error,
      retryable: true,
    });
  }
  return new AppError('internal', `${operation} failed (${name})`, {
    cause: error,
    retryable: false,
  });
}
