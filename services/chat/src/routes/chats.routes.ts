import {
  askBody,
  chatParams,
  jsonBody,
  startChatBody,
  startChatParams,
  tenantOf,
  type Logger,
} from '@jitkb/shared';
import { Router, type Request } from 'express';
import type { AskUseCase } from '../domain/ask';
import type { Caller, ChatUseCases } from '../domain/chats';
import type { ListMessages } from '../domain/messages';
import { collectAnswer, streamAnswer } from './sse';

export interface ChatRoutesDeps {
  chats: ChatUseCases;
  ask: AskUseCase;
  listMessages: ListMessages;
  log: Logger;
}

/** The chat routes; the auth middleware runs before them. */
export function chatsRouter(deps: ChatRoutesDeps): Router {
  const router = Router();
  const callerOf = (req: Request): Caller => ({
    tenant: tenantOf(req),
    log: req.log ?? deps.log,
    correlationId: req.correlationId,
  });

  router.post('/v1/projects/:id/chats', ...jsonBody(), async (req, res) => {
    const caller = callerOf(req);
    const { id } = startChatParams.parse(req.params);
    // No body at all means "every uploaded file", like an empty object.
    const body = startChatBody.parse(req.body ?? {});
    const chat = await deps.chats.startChat(caller, id, body.fileIds);
    res.status(201).json(chat);
  });

  router.get('/v1/chats/:chatId', async (req, res) => {
    const caller = callerOf(req);
    const { chatId } = chatParams.parse(req.params);
    res.json(await deps.chats.getChat(caller, chatId));
  });

  router.post('/v1/chats/:chatId/messages', ...jsonBody(), async (req, res) => {
    const caller = callerOf(req);
    const { chatId } = chatParams.parse(req.params);
    const { question } = askBody.parse(req.body);
    const answering = await deps.ask.ask(caller, chatId, question);
    if (req.accepts(['application/json', 'text/event-stream']) === 'text/event-stream') {
      await streamAnswer(req, res, answering, caller.log);
    } else {
      res.json(await collectAnswer(answering));
    }
  });

  router.get('/v1/chats/:chatId/messages', async (req, res) => {
    const caller = callerOf(req);
    const { chatId } = chatParams.parse(req.params);
    res.json({ items: await deps.listMessages(caller, chatId) });
  });

  return router;
}
