import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoTableStore } from '../src/adapters/aws/dynamo-table-store';
import { provisionTables, tableNamesFor } from '../src/adapters/aws/provision/tables';
import { SqliteTableStore } from '../src/adapters/local/sqlite-table-store';
import { ConditionFailedError } from '../src/errors/app-error';
import { createChatHistoryRepository } from '../src/repositories/chat-history-repository';
import { createChatsRepository, type ChatRecord } from '../src/repositories/chats-repository';
import { testAwsEndpoint, uniquePrefix } from '../src/testing';
import { newTenant, useStore, type OpenStore } from './repositories/fixture';

const openSqlite: OpenStore = async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'jitkb-chat-repos-'));
  const store = new SqliteTableStore({ path: path.join(dir, 'tables.db') });
  return {
    store,
    async cleanup() {
      await store.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
};

const openDynamo: OpenStore = async () => {
  const dynamodb = new DynamoDBClient({ endpoint: testAwsEndpoint(), region: 'us-east-1' });
  const tableNames = tableNamesFor(uniquePrefix('chats'));
  await provisionTables({ dynamodb, tableNames });
  return {
    store: new DynamoTableStore({ client: dynamodb, tableNames }),
    async cleanup() {
      dynamodb.destroy();
    },
  };
};

function newChat(tenantId: string): ChatRecord {
  const at = '2026-01-01T00:00:00.000Z';
  return {
    tenantId,
    chatId: randomUUID(),
    projectId: 'p1',
    userId: 'u1',
    fileIds: ['f1', 'f2'],
    status: 'preparing',
    createdAt: at,
    lastInteraction: at,
    sessionId: 's1',
    sessionAt: at,
  };
}

function describeChatRepositories(label: string, open: OpenStore): void {
  describe(`chats repository (${label})`, () => {
    const store = useStore(open);
    const repo = () => createChatsRepository(store());

    it('stores a chat under its tenant only', async () => {
      const chat = newChat(newTenant());
      await repo().create(chat);
      await expect(repo().get(chat.tenantId, chat.chatId)).resolves.toEqual(chat);
      await expect(repo().get(newTenant(), chat.chatId)).resolves.toBeUndefined();
    });

    it('refuses a second chat with the same id', async () => {
      const chat = newChat(newTenant());
      await repo().create(chat);
      await expect(repo().create({ ...chat, projectId: 'p2' })).rejects.toBeInstanceOf(
        ConditionFailedError,
      );
    });

    it('updates status and interactions, and never creates a chat that is not there', async () => {
      const chat = newChat(newTenant());
      await repo().create(chat);
      expect((await repo().setStatus(chat.tenantId, chat.chatId, 'ready'))?.status).toBe('ready');
      const withProvider = await repo().recordInteraction(chat.tenantId, chat.chatId, {
        lastInteraction: '2026-01-01T00:05:00.000Z',
        sessionId: 's1',
        sessionAt: chat.sessionAt,
        providerSessionId: 'bedrock-1',
      });
      expect(withProvider).toMatchObject({ providerSessionId: 'bedrock-1', status: 'ready' });
      const rotated = await repo().recordInteraction(chat.tenantId, chat.chatId, {
        lastInteraction: '2026-01-01T01:00:00.000Z',
        sessionId: 's2',
        sessionAt: '2026-01-01T01:00:00.000Z',
        providerSessionId: undefined,
      });
      expect(rotated).toMatchObject({
        sessionId: 's2',
        lastInteraction: '2026-01-01T01:00:00.000Z',
      });
      expect(rotated?.providerSessionId).toBeUndefined();
      await expect(repo().setStatus(chat.tenantId, randomUUID(), 'ready')).resolves.toBeUndefined();
      await expect(repo().get(chat.tenantId, 'missing')).resolves.toBeUndefined();
    });
  });

  describe(`chat history repository (${label})`, () => {
    const store = useStore(open);
    const repo = () => createChatHistoryRepository(store());

    it('appends turns in order and lists them oldest first', async () => {
      const chatId = randomUUID();
      const sources = [{ fileId: 'f1', fileName: 'a.md', excerpt: 'Two years.', score: 0.5 }];
      await repo().append(chatId, [
        { role: 'user', text: 'How long?', sessionId: 's1' },
        { role: 'assistant', text: 'Two years.', sources, sessionId: 's1', messageId: 'm2' },
      ]);
      await repo().append(chatId, [{ role: 'user', text: 'And then?' }]);
      const all = await repo().list(chatId);
      expect(all.map((m) => [m.seq, m.role, m.text])).toEqual([
        [1, 'user', 'How long?'],
        [2, 'assistant', 'Two years.'],
        [3, 'user', 'And then?'],
      ]);
      expect(all[1]).toMatchObject({ messageId: 'm2', sources, sessionId: 's1' });
      expect(all[0]?.sources).toBeUndefined();
      expect((await repo().recent(chatId, 2)).map((m) => m.seq)).toEqual([2, 3]);
      await expect(repo().recent(chatId, 0)).resolves.toEqual([]);
      await expect(repo().list(randomUUID())).resolves.toEqual([]);
    });

    it('keeps every turn of concurrent appends to one chat', async () => {
      const chatId = randomUUID();
      await Promise.all(
        Array.from({ length: 5 }, (_, i) =>
          repo().append(chatId, [{ role: 'user', text: `q${i}` }]),
        ),
      );
      const all = await repo().list(chatId);
      expect(all.map((m) => m.seq)).toEqual([1, 2, 3, 4, 5]);
      expect(all.map((m) => m.text).sort()).toEqual(['q0', 'q1', 'q2', 'q3', 'q4']);
    });
  });
}

describeChatRepositories('SQLite', openSqlite);
describeChatRepositories('DynamoDB on moto', openDynamo);
