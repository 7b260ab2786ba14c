import { knowledgeBaseEnv, port, serviceSchema, tierEnv } from '@jitkb/shared';
import { z } from 'zod';

export const configSchema = serviceSchema({
  PORT: port.default(8084),
  ...tierEnv,
  ...knowledgeBaseEnv,
  /** Seconds between two sweeps of expired kb-files records. */
  JITKB_SWEEP_INTERVAL_SECONDS: z.coerce.number().int().positive().max(86_400).default(60),
});

export type Config = z.output<typeof configSchema>;
