import { ConditionFailedError } from '../errors/app-error';
import type { TableStore } from '../ports/table';

/** The readiness of a chat, as its files' statuses decide it. */
export type ChatRecordStatus = 'preparing' | 'ready' | 'failed';

/** A chat: which files of which project it talks about, and its current session. */
export type ChatRecord = {
  tenantId: string;
  chatId: string;
  projectId: string;
  userId: string;
  fileIds: string[];
  /** The readiness last computed (reads recompute it from the files' statuses). */
  status: ChatRecordStatus;
  createdAt: string;
  /** The last question asked, or the creation time. */
  lastInteraction: string;
  /** Rotates when the chat was idle for longer than the session idle time. */
  sessionId: string;
  sessionAt: string;
  /** A generator's own session handle (Bedrock RetrieveAndGenerate), tied to `sessionId`. */
  providerSessionId?: string;
};

/** What an answered question changes on the chat. */
export interface ChatInteraction {
  lastInteraction: string;
  sessionId: string;
  sessionAt: string;
  /** Undefined clears a provider session left from an earlier session. */
  providerSessionId?: string | undefined;
}

/** Chats of every tenant; every operation is keyed by the tenant first. */
export interface ChatsRepository {
  /** Stores a new chat; throws ConditionFailedError when its id is taken. */
  create(chat: ChatRecord): Promise<ChatRecord>;
  get(tenantId: string, chatId: string): Promise<ChatRecord | undefined>;
  /** Stores a newly computed readiness; a chat that is gone stays gone (undefined). */
  setStatus(
    tenantId: string,
    chatId: string,
    status: ChatRecordStatus,
  ): Promise<ChatRecord | undefined>;
  /** Records a question's time and session; a chat that is gone stays gone (undefined). */
  recordInteraction(
    tenantId: string,
    chatId: string,
    interaction: ChatInteraction,
  ): Promise<ChatRecord | undefined>;
}

/** Chats on the `chats` table of any table store (DynamoDB or the embedded SQLite). */
export function createChatsRepository(tables: TableStore): ChatsRepository {
  const table = tables.table<ChatRecord>('chats');

  async function updateExisting(
    tenantId: string,
    chatId: string,
    set: Partial<ChatRecord>,
    remove?: string[],
  ): Promise<ChatRecord | undefined> {
    try {
      return await table.update({ tenantId, chatId }, set, {
        // An update must never bring a deleted chat back as a fragment.
        condition: { exists: 'chatId' },
        ...(remove && remove.length > 0 ? { remove } : {}),
      });
    } catch (error) {
      if (error instanceof ConditionFailedError) return undefined;
      throw error;
    }
  }

  return {
    async create(chat) {
      await table.put(chat, { condition: { notExists: 'chatId' } });
      return chat;
    },
    get: (tenantId, chatId) => table.get({ tenantId, chatId }),
    setStatus: (tenantId, chatId, status) => updateExisting(tenantId, chatId, { status }),
    recordInteraction(tenantId, chatId, interaction) {
      const { providerSessionId, ...rest } = interaction;
      return providerSessionId === undefined
        ? updateExisting(tenantId, chatId, rest, ['providerSessionId'])
        : updateExisting(tenantId, chatId, { ...rest, providerSessionId });
    },
  };
}
