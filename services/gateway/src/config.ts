import { authEnv, port, serviceSchema, tierEnv } from '@jitkb/shared';
import { z } from 'zod';

export const configSchema = serviceSchema({
  PORT: port.default(8080),
  ...authEnv,
  ...tierEnv,
  /** The project service (projects, files, tenant). */
  PROJECT_URL: z.url().default('http://127.0.0.1:8081'),
  /** The chat service (chats and questions). */
  CHAT_URL: z.url().default('http://127.0.0.1:8082'),
  /** How long an upstream may stay silent (a streamed answer included) before the gateway gives up. */
  UPSTREAM_TIMEOUT_SECONDS: z.coerce.number().int().min(1).max(3600).default(120),
  /** The web UI's OIDC client (a public client: authorization code with PKCE, no secret). */
  UI_OIDC_CLIENT_ID: z.string().min(1).optional(),
  UI_OIDC_SCOPES: z.string().min(1).default('openid email profile'),
  /** The token the UI sends: Cognito puts custom claims in the ID token only. */
  UI_OIDC_TOKEN: z.enum(['id_token', 'access_token']).default('id_token'),
});

export type Config = z.output<typeof configSchema>;
