import { randomUUID } from 'node:crypto';
import { AppError, ConditionFailedError } from '../errors/app-error';
import type { TableStore } from '../ports/table';
import { queryAll } from './paging';

/** A passage an answer draws on, as the API shows it. */
export interface MessageSource {
  fileId: string;
  fileName: string;
  excerpt: string;
  score: number;
}

export type MessageRole = 'user' | 'assistant';

/** One turn of a chat, in order of `seq` (from 1). */
export type MessageRecord = {
  chatId: string;
  seq: number;
  messageId: string;
  role: MessageRole;
  text: string;
  /** Present on assistant turns. */
  sources?: MessageSource[];
  /** The chat session the turn belongs to; follow-ups are read within one session. */
  sessionId?: string;
  createdAt: string;
};

export interface NewMessage {
  role: MessageRole;
  text: string;
  sources?: MessageSource[];
  sessionId?: string;
  /** Defaults to a new UUID. */
  messageId?: string;
  /** Defaults to now. */
  createdAt?: string;
}

/** The turns of every chat. Callers reach a chat through its tenant-keyed record first. */
export interface ChatHistoryRepository {
  /**
   * Appends the messages after the last one, keeping their order; concurrent appends to the same
   * chat never overwrite each other (conditional puts, retried on a taken sequence number).
   */
  append(chatId: string, messages: readonly NewMessage[]): Promise<MessageRecord[]>;
  /** Every turn of the chat, oldest first. */
  list(chatId: string): Promise<MessageRecord[]>;
  /** The last `count` turns of the chat, oldest first. */
  recent(chatId: string, count: number): Promise<MessageRecord[]>;
}

export interface ChatHistoryRepositoryOptions {
  now?: () => Date;
  /** Attempts at finding a free sequence number under contention (default 8). */
  maxAttempts?: number;
}

/** Chat history on the `chatHistory` table of any table store. */
export function createChatHistoryRepository(
  tables: TableStore,
  options: ChatHistoryRepositoryOptions = {},
): ChatHistoryRepository {
  const table = tables.table<MessageRecord>('chatHistory');
  const now = options.now ?? (() => new Date());
  const maxAttempts = options.maxAttempts ?? 8;

  async function lastSeq(chatId: string): Promise<number> {
    const page = await table.query(chatId, { descending: true, limit: 1 });
    return page.items[0]?.seq ?? 0;
  }

  async function appendOne(chatId: string, message: NewMessage): Promise<MessageRecord> {
    const base = {
      chatId,
      messageId: message.messageId ?? randomUUID(),
      role: message.role,
      text: message.text,
      ...(message.sources ? { sources: message.sources } : {}),
      ...(message.sessionId ? { sessionId: message.sessionId } : {}),
      createdAt: message.createdAt ?? now().toISOString(),
    };
    for (let attempt = 0; attempt < maxAttempts; attempt += 1) {
      const record: MessageRecord = { ...base, seq: (await lastSeq(chatId)) + 1 };
      try {
        await table.put(record, { condition: { notExists: 'seq' } });
        return record;
      } catch (error) {
        // Another writer took this number: read the new end and try the next one.
        if (!(error instanceof ConditionFailedError)) throw error;
      }
    }
    throw new AppError('unavailable', 'the chat history is busy; try again', { retryable: true });
  }

  return {
    async append(chatId, messages) {
      const stored: MessageRecord[] = [];
      for (const message of messages) stored.push(await appendOne(chatId, message));
      return stored;
    },
    list: (chatId) => queryAll(table, chatId),
    async recent(chatId, count) {
      if (count <= 0) return [];
      const page = await table.query(chatId, { descending: true, limit: count });
      return page.items.reverse();
    },
  };
}
