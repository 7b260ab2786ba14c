import { AppError } from '../../errors/app-error';

/*
 * Pacing, backoff and error mapping for Bedrock calls. The SDK's own retries (a few attempts
 * within a second or two) do not outlast Bedrock's throttling windows, which are per second and
 * per minute, so the adapters add a longer, jittered backoff on top and pace the document APIs
 * below their request-rate quota instead of provoking throttling.
 */

export type Sleep = (ms: number) => Promise<void>;

export const realSleep: Sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Spaces calls at least `1000 / perSecond` ms apart, across all callers of this instance. */
export class RequestPacer {
  private next = 0;

  constructor(
    private readonly perSecond: number,
    private readonly sleep: Sleep = realSleep,
    private readonly now: () => number = Date.now,
  ) {}

  async wait(): Promise<void> {
    const now = this.now();
    const at = Math.max(now, this.next);
    // Reserved before sleeping, so that concurrent callers queue behind each other.
    this.next = at + 1000 / this.perSecond;
    if (at > now) await this.sleep(at - now);
  }
}

const THROTTLING = new Set([
  'ThrottlingException',
  'TooManyRequestsException',
  'Throttling',
  'ServiceUnavailableException',
  'ModelNotReadyException',
]);

interface SdkErrorShape {
  name?: unknown;
  $metadata?: { httpStatusCode?: unknown };
  $retryable?: { throttling?: unknown };
}

function shapeOf(error: unknown): SdkErrorShape {
  return typeof error === 'object' && error !== null ? error : {};
}

/** Whether Bedrock asked us to slow down (or was briefly unable to serve). */
export function isThrottling(error: unknown): boolean {
  const shape = shapeOf(error);
  const status = shape.$metadata?.httpStatusCode;
  return (
    shape.$retryable?.throttling === true ||
    (typeof shape.name === 'string' && THROTTLING.has(shape.name)) ||
    status === 429
  );
}

/**
 * An SDK error as an AppError: throttling and 5xx are `unavailable` and retryable; a validation
 * or access error is `internal`, since repeating the same request cannot fix it.
 */
export function bedrockError(error: unknown, operation: string): AppError {
  if (error instanceof AppError) return error;
  const shape = shapeOf(error);
  const name = typeof shape.name === 'string' ? shape.name : 'Error';
  const status = shape.$metadata?.httpStatusCode;
  const transient = isThrottling(error) || (typeof status === 'number' && status >= 500);
  return new AppError(
    transient ? 'unavailable' : 'internal',
    `Bedrock ${operation} failed (${name})`,
    { cause: error, retryable: transient },
  );
}

export interface BackoffOptions {
  /** Attempts in all, the first included. Default 6. */
  attempts?: number;
  /** The first wait; each later one doubles, with full jitter. Default 500 ms. */
  baseMs?: number;
  maxMs?: number;
  sleep?: Sleep;
  random?: () => number;
}

/** Runs `call`, retrying it with exponential backoff while Bedrock throttles. */
export async function withBackoff<T>(
  operation: string,
  call: () => Promise<T>,
  options: BackoffOptions = {},
): Promise<T> {
  const attempts = options.attempts ?? 6;
  const sleep = options.sleep ?? realSleep;
  const random = options.random ?? Math.random;
  for (let attempt = 1; ; attempt++) {
    try {
      return await call();
    } catch (error) {
      if (!isThrottling(error) || attempt >= attempts) throw bedrockError(error, operation);
      const cap = Math.min(options.maxMs ?? 20_000, (options.baseMs ?? 500) * 2 ** (attempt - 1));
      await sleep(Math.round(cap / 2 + (random() * cap) / 2));
    }
  }
}
