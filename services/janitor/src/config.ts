import { knowledgeBaseEnv, port, serviceSchema, tierEnv } from '@jitkb/shared';
import { z } from 'zod';

export const configSchema = serviceSchema({
  PORT: port.default(8084),
  ...tierEnv,
  ...knowledgeBaseEnv,
  /** Seconds between two sweeps of expired kb-files records. */
  JITKB_SWEEP_INTERVAL_SECONDS: z.coerce.number().int().positive().max(86_400).default(60),
  /**
   * Seconds a received message stays hidden: long enough for a large project's removal; a message
   * that outlasts it comes back, harmlessly. After a crash, its messages come back after this.
   */
  JANITOR_VISIBILITY_TIMEOUT_SECONDS: z.coerce.number().int().positive().max(43_200).default(120),
});

export type Config = z.output<typeof configSchema>;
