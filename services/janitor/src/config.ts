import { port, serviceSchema, tierEnv } from '@jitkb/shared';
import type { z } from 'zod';

export const configSchema = serviceSchema({
  PORT: port.default(8084),
  ...tierEnv,
});

export type Config = z.output<typeof configSchema>;
