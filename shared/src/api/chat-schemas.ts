import { z } from 'zod';
import { emailSchema, tenantIdSchema, tierNameSchema, userIdSchema } from '../auth/identity';
import { FILE_STATUSES } from '../repositories/files.repository';
import { idParam } from './schemas';

/**
 * Schemas of the chat routes and of the embedded dev token route (DESIGN.md, HTTP API). Request
 * bodies are strict: an unknown field is a 400. The gateway validates with them before proxying,
 * the chat service parses with them, and the OpenAPI document is generated from them.
 */

export const chatParams = z.object({ chatId: idParam });
export const startChatParams = z.object({ id: idParam });

export const startChatBody = z
  .object({
    /** The files to chat with; default: every uploaded file of the project. */
    fileIds: z.array(idParam).min(1).max(1000).optional(),
  })
  .strict()
  .meta({ id: 'StartChatRequest' });
export type StartChatBody = z.infer<typeof startChatBody>;

export const CHAT_STATUSES = ['preparing', 'ready', 'failed'] as const;
export type ChatStatus = (typeof CHAT_STATUSES)[number];

export const chatFileView = z
  .object({ id: idParam, name: z.string(), status: z.enum(FILE_STATUSES) })
  .meta({ id: 'ChatFile' });

export const chatView = z
  .object({
    id: idParam,
    projectId: idParam,
    status: z.enum(CHAT_STATUSES),
    files: z.array(chatFileView),
  })
  .meta({ id: 'Chat' });
export type ChatView = z.infer<typeof chatView>;

export const askBody = z
  .object({
    question: z
      .string()
      .min(1)
      .max(4000)
      // A lone surrogate is not text: no store or model can take it.
      .refine((text) => !/\p{Cs}/u.test(text), 'is not well-formed Unicode (a lone surrogate)'),
  })
  .strict()
  .meta({ id: 'AskRequest' });
export type AskBody = z.infer<typeof askBody>;

export const sourceView = z
  .object({
    fileId: idParam,
    fileName: z.string(),
    excerpt: z.string(),
    score: z.number(),
  })
  .meta({ id: 'Source' });
export type SourceView = z.infer<typeof sourceView>;

export const answerView = z
  .object({
    id: idParam,
    /** With no supporting context: "Sorry, I don't know." and no sources. */
    answer: z.string(),
    sources: z.array(sourceView),
    sessionId: z.string(),
  })
  .meta({ id: 'Answer' });
export type AnswerView = z.infer<typeof answerView>;

/** `event: token` of a streamed answer: the next piece of the answer text. */
export const answerTokenEvent = z.object({ text: z.string() }).meta({ id: 'AnswerTokenEvent' });

/** `event: sources`, the last event of a streamed answer. */
export const answerSourcesEvent = answerView
  .omit({ answer: true })
  .meta({ id: 'AnswerSourcesEvent' });

export const MESSAGE_ROLES = ['user', 'assistant'] as const;

export const messageView = z
  .object({
    id: idParam,
    role: z.enum(MESSAGE_ROLES),
    text: z.string(),
    sources: z.array(sourceView).optional(),
    createdAt: z.iso.datetime(),
  })
  .meta({ id: 'Message' });
export type MessageView = z.infer<typeof messageView>;

export const messageList = z.object({ items: z.array(messageView) }).meta({ id: 'MessageList' });

/** `POST /dev/token` (embedded mode only). */
export const devTokenBody = z
  .object({
    tenantId: tenantIdSchema,
    userId: userIdSchema,
    email: emailSchema.optional(),
    tier: tierNameSchema.optional(),
  })
  .strict()
  .meta({ id: 'DevTokenRequest' });
export type DevTokenBody = z.infer<typeof devTokenBody>;

export const devTokenView = z
  .object({
    access_token: z.string(),
    token_type: z.literal('Bearer'),
    expires_in: z.number().int().positive(),
  })
  .meta({ id: 'DevToken' });
