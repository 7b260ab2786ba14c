import { knowledgeBaseEnv, port, serviceSchema, tierEnv } from '@jitkb/shared';
import { z } from 'zod';
import { DEFAULT_CHUNK_OVERLAP, DEFAULT_CHUNK_SIZE } from './domain/chunk';

const positiveInt = z.coerce.number().int().positive();

export const configSchema = serviceSchema({
  PORT: port.default(8083),
  ...tierEnv,
  ...knowledgeBaseEnv,
  /** Largest chunk, in characters. */
  INGEST_CHUNK_SIZE: positiveInt.default(DEFAULT_CHUNK_SIZE),
  /** Characters a chunk repeats from the one before it; below INGEST_CHUNK_SIZE. */
  INGEST_CHUNK_OVERLAP: z.coerce.number().int().nonnegative().default(DEFAULT_CHUNK_OVERLAP),
  /** Seconds a received message stays hidden; the worker extends it while it works. */
  INGEST_VISIBILITY_TIMEOUT_SECONDS: positiveInt.max(43_200).default(60),
  /** Messages handled at once by one replica. */
  INGEST_CONCURRENCY: positiveInt.max(10).default(4),
  /**
   * Seconds after which another request may take over a file left `ingesting` by a worker that
   * died (a redelivery of the same message takes it over at once).
   */
  INGEST_CLAIM_STALE_SECONDS: positiveInt.default(900),
}).superRefine((config, context) => {
  if (config.INGEST_CHUNK_OVERLAP >= config.INGEST_CHUNK_SIZE) {
    context.addIssue({
      code: 'custom',
      path: ['INGEST_CHUNK_OVERLAP'],
      message: 'must be smaller than INGEST_CHUNK_SIZE',
    });
  }
  if (config.INGEST_CLAIM_STALE_SECONDS < config.INGEST_VISIBILITY_TIMEOUT_SECONDS) {
    context.addIssue({
      code: 'custom',
      path: ['INGEST_CLAIM_STALE_SECONDS'],
      message: 'must be at least INGEST_VISIBILITY_TIMEOUT_SECONDS',
    });
  }
});

export type Config = z.output<typeof configSchema>;
