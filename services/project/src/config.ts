import { authEnv, port, serviceSchema, tierEnv } from '@jitkb/shared';
import { z } from 'zod';

export const configSchema = serviceSchema({
  PORT: port.default(8081),
  ...authEnv,
  ...tierEnv,
  /** How long a presigned upload URL stays valid. */
  UPLOAD_URL_EXPIRES_SECONDS: z.coerce.number().int().min(60).max(86_400).default(900),
});

export type Config = z.output<typeof configSchema>;
