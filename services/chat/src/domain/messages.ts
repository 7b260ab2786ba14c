import {
  AppError,
  type ChatHistoryRepository,
  type ChatsRepository,
  type MessageView,
} from '@jitkb/shared';
import type { Caller } from './chats';

/** A chat's history, oldest first; another tenant's chat is not found. */
export function createListMessages(deps: {
  chats: ChatsRepository;
  history: ChatHistoryRepository;
}) {
  return async (caller: Caller, chatId: string): Promise<MessageView[]> => {
    const chat = await deps.chats.get(caller.tenant.tenantId, chatId);
    if (!chat) throw AppError.notFound('chat');
    const messages = await deps.history.list(chat.chatId);
    return messages.map((message) => ({
      id: message.messageId,
      role: message.role,
      text: message.text,
      ...(message.sources ? { sources: message.sources } : {}),
      createdAt: message.createdAt,
    }));
  };
}

export type ListMessages = ReturnType<typeof createListMessages>;
