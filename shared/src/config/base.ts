import { z } from 'zod';

const logLevel = z
  .enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
  .default('info');

/** A comma-separated list in one variable. */
export const csv = z.string().transform((value) =>
  value
    .split(',')
    .map((part) => part.trim())
    .filter(Boolean),
);

/** "true"/"false"/"1"/"0" in an environment variable. */
export const booleanFlag = z
  .enum(['true', 'false', '1', '0'])
  .transform((value) => value === 'true' || value === '1');

export const port = z.coerce.number().int().min(0).max(65535);

const common = {
  LOG_LEVEL: logLevel,
  JITKB_VERSION: z.string().default('0.1.0'),
};

export const embeddedModeSchema = z.object({
  ...common,
  JITKB_MODE: z.literal('embedded'),
  /** Where the embedded adapters keep their SQLite databases and objects. */
  JITKB_DATA_DIR: z.string().min(1).default('.data'),
  /** HMAC key for upload URLs; generated once into the data directory when unset. */
  JITKB_UPLOAD_SECRET: z.string().min(32).optional(),
  /** The gateway's public base URL; embedded upload URLs point at it. */
  JITKB_PUBLIC_URL: z.url().default('http://localhost:8080'),
});

export const awsModeSchema = z.object({
  ...common,
  JITKB_MODE: z.literal('aws'),
  AWS_REGION: z.string().min(1),
  /** An AWS API endpoint other than AWS itself (LocalStack, moto's server). */
  AWS_ENDPOINT_URL: z.url().optional(),
  EVENTS_TOPIC_ARN: z.string().startsWith('arn:'),
  BUCKET_NAME: z.string().min(3),
  TABLE_PROJECTS: z.string().min(3),
  TABLE_FILES: z.string().min(3),
  TABLE_KB_FILES: z.string().min(3),
  TABLE_CHATS: z.string().min(3),
  TABLE_CHAT_HISTORY: z.string().min(3),
  TABLE_RATE_LIMITS: z.string().min(3),
  TABLE_LEASES: z.string().min(3),
  QUEUE_URL_PROJECT: z.url().optional(),
  QUEUE_URL_CHAT: z.url().optional(),
  QUEUE_URL_INGESTION: z.url().optional(),
  QUEUE_URL_JANITOR: z.url().optional(),
});

/** Fills JITKB_MODE's default before the union picks a branch. */
function withMode(env: unknown): unknown {
  if (typeof env !== 'object' || env === null) return env;
  const record = env as Record<string, unknown>;
  return record.JITKB_MODE === undefined || record.JITKB_MODE === ''
    ? { ...record, JITKB_MODE: 'embedded' }
    : record;
}

/** The adapter-selecting part of every service's configuration. */
export const modeSchema = z.preprocess(
  withMode,
  z.discriminatedUnion('JITKB_MODE', [embeddedModeSchema, awsModeSchema]),
);

export type EmbeddedModeConfig = z.output<typeof embeddedModeSchema>;
export type AwsModeConfig = z.output<typeof awsModeSchema>;
export type ModeConfig = EmbeddedModeConfig | AwsModeConfig;

/**
 * Builds a service schema: the mode union plus the service's own variables.
 * `extra` is checked against the same environment.
 */
export function serviceSchema<E extends z.ZodRawShape>(extra: E) {
  return z.preprocess(
    withMode,
    z.intersection(
      z.discriminatedUnion('JITKB_MODE', [embeddedModeSchema, awsModeSchema]),
      z.object(extra),
    ),
  );
}
