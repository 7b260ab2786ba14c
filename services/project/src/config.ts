import { authEnv, port, serviceSchema, tierEnv } from '@jitkb/shared';
import type { z } from 'zod';

export const configSchema = serviceSchema({
  PORT: port.default(8081),
  ...authEnv,
  ...tierEnv,
});

export type Config = z.output<typeof configSchema>;
