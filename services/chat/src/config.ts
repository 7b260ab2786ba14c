import {
  authEnv,
  generatorEnv,
  knowledgeBaseEnv,
  port,
  serviceSchema,
  tierEnv,
} from '@jitkb/shared';
import { z } from 'zod';

const positiveInt = z.coerce.number().int().positive();

export const configSchema = serviceSchema({
  PORT: port.default(8082),
  ...authEnv,
  ...tierEnv,
  ...knowledgeBaseEnv,
  ...generatorEnv,
  /** Seconds without a question after which a chat's next question starts a new session. */
  CHAT_SESSION_IDLE_SECONDS: positiveInt.default(600),
  /**
   * Retrieved passages scoring below this are not used; with none left the answer is "Sorry, I
   * don't know.". The scale is the knowledge base's (fused ranks locally, relevance on Bedrock).
   */
  CHAT_MIN_SCORE: z.coerce.number().min(0).default(0),
  /** Passages retrieved per question. */
  CHAT_RETRIEVE_K: positiveInt.max(50).default(6),
  /** Earlier turns of the session given to condensing and to the generator. */
  CHAT_HISTORY_TURNS: z.coerce.number().int().min(0).max(50).default(6),
});

export type Config = z.output<typeof configSchema>;
