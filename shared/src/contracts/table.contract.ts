import { randomUUID } from 'node:crypto';
import { ConditionFailedError, isAppError } from '../errors';
import type { Condition, Item, QueryOptions, Table, TableStore } from '../ports/table';

export interface TableStoreFixture {
  store: TableStore;
  cleanup(): Promise<void>;
}

/** A fresh id per test, so that suites can share one store (and one emulator) safely. */
function uid(label: string): string {
  return `${label}-${randomUUID()}`;
}

async function expectCode(promise: Promise<unknown>, code: string): Promise<void> {
  const error: unknown = await promise.then(
    () => undefined,
    (reason: unknown) => reason,
  );
  expect(isAppError(error) ? error.code : error).toBe(code);
}

/** Every page of a query, following cursors until there are none. */
async function allPages<T extends Item>(
  table: Table<T>,
  partition: string,
  options: QueryOptions,
): Promise<{ items: T[]; pages: number }> {
  const items: T[] = [];
  let cursor: string | undefined;
  let pages = 0;
  do {
    const page = await table.query(partition, { ...options, ...(cursor ? { cursor } : {}) });
    items.push(...page.items);
    cursor = page.cursor;
    pages += 1;
  } while (cursor && pages < 100);
  return { items, pages };
}

/**
 * Secondary indexes are eventually consistent on DynamoDB, so index reads are retried for a
 * short while; SQLite and moto answer at once.
 */
async function eventually<T>(read: () => Promise<T>, check: (value: T) => void): Promise<void> {
  const deadline = Date.now() + 5000;
  for (;;) {
    const value = await read();
    try {
      check(value);
      return;
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}

/**
 * The TableStore contract: what every repository relies on, run against the SQLite store and
 * against DynamoDB (moto's server in CI). `make` is called once for the suite.
 */
export function describeTableStore(name: string, make: () => Promise<TableStoreFixture>): void {
  describe(`TableStore contract: ${name}`, () => {
    let fixture: TableStoreFixture;
    const store = (): TableStore => fixture.store;

    beforeAll(async () => {
      fixture = await make();
    });
    afterAll(async () => {
      await fixture?.cleanup();
    });

    describe('items', () => {
      it('puts, gets and deletes an item with JSON values intact', async () => {
        const projects = store().table('projects');
        const item = {
          tenantId: uid('tenant'),
          projectId: 'p1',
          name: 'Docs',
          empty: '',
          count: 3.5,
          flag: false,
          nothing: null,
          tags: ['a', 'b'],
          meta: { nested: { depth: 2 } },
        };
        await projects.put(item);
        expect(await projects.get({ tenantId: item.tenantId, projectId: 'p1' })).toEqual(item);
        expect(await projects.delete({ tenantId: item.tenantId, projectId: 'p1' })).toEqual(item);
        expect(await projects.get({ tenantId: item.tenantId, projectId: 'p1' })).toBeUndefined();
      });

      it('answers undefined for a missing item and for deleting one', async () => {
        const projects = store().table('projects');
        const key = { tenantId: uid('tenant'), projectId: 'none' };
        expect(await projects.get(key)).toBeUndefined();
        expect(await projects.delete(key)).toBeUndefined();
      });

      it('replaces the whole item on put and accepts a whole item as a key', async () => {
        const projects = store().table('projects');
        const tenantId = uid('tenant');
        await projects.put({ tenantId, projectId: 'p', name: 'old', owner: 'u1' });
        await projects.put({ tenantId, projectId: 'p', name: 'new' });
        const item = await projects.get({ tenantId, projectId: 'p', ignored: 'x' });
        expect(item).toEqual({ tenantId, projectId: 'p', name: 'new' });
      });

      it('rejects an item without its key attributes as invalid input', async () => {
        const projects = store().table('projects');
        await expectCode(projects.put({ tenantId: uid('tenant'), name: 'x' }), 'invalid_input');
        await expectCode(projects.put({ tenantId: '', projectId: 'p' }), 'invalid_input');
        await expectCode(
          store().table('chatHistory').put({ chatId: 'c', seq: '1' }),
          'invalid_input',
        );
      });
    });

    describe('conditional writes', () => {
      it('puts only while the attribute does not exist', async () => {
        const projects = store().table('projects');
        const key = { tenantId: uid('tenant'), projectId: 'p' };
        const create = { condition: { notExists: 'projectId' } };
        await projects.put({ ...key, name: 'first' }, create);
        const second = projects.put({ ...key, name: 'second' }, create);
        await expect(second).rejects.toBeInstanceOf(ConditionFailedError);
        await expectCode(projects.put({ ...key, name: 'third' }, create), 'conflict');
        expect(await projects.get(key)).toEqual({ ...key, name: 'first' });
      });

      it('evaluates every condition operator as DynamoDB does', async () => {
        const projects = store().table('projects');
        const key = { tenantId: uid('tenant'), projectId: 'p' };
        const item = { ...key, status: 'ready', n: 5, list: ['x'] };
        await projects.put(item);
        const cases: [Condition, boolean][] = [
          [{ exists: 'status' }, true],
          [{ exists: 'missing' }, false],
          [{ notExists: 'missing' }, true],
          [{ eq: ['status', 'ready'] }, true],
          [{ eq: ['n', '5'] }, false],
          [{ ne: ['status', 'ready'] }, false],
          [{ ne: ['missing', 'ready'] }, true],
          [{ lt: ['n', 6] }, true],
          [{ lt: ['n', 5] }, false],
          [{ lte: ['n', 5] }, true],
          [{ gt: ['n', 4] }, true],
          [{ gte: ['n', 6] }, false],
          [{ gt: ['status', 'r'] }, true],
          [{ lt: ['missing', 1] }, false],
          [{ in: ['status', ['uploaded', 'ready']] }, true],
          [{ in: ['status', ['uploaded']] }, false],
          [{ and: [{ exists: 'n' }, { eq: ['status', 'ready'] }] }, true],
          [{ and: [{ exists: 'n' }, { eq: ['status', 'no'] }] }, false],
          [{ or: [{ exists: 'missing' }, { gte: ['n', 5] }] }, true],
          [{ or: [{ exists: 'missing' }, { gt: ['n', 5] }] }, false],
        ];
        const outcomes: [string, boolean][] = [];
        for (const [condition, expected] of cases) {
          const held = await projects.put(item, { condition }).then(
            () => true,
            (error: unknown) => {
              if (error instanceof ConditionFailedError) return false;
              throw error;
            },
          );
          outcomes.push([JSON.stringify(condition), held === expected]);
        }
        expect(outcomes.filter(([, ok]) => !ok)).toEqual([]);
      });

      it('rejects conditions that cannot be expressed as invalid input', async () => {
        const projects = store().table('projects');
        const item = { tenantId: uid('tenant'), projectId: 'p' };
        await expectCode(projects.put(item, { condition: { and: [] } }), 'invalid_input');
        await expectCode(projects.put(item, { condition: { in: ['s', []] } }), 'invalid_input');
        await expectCode(
          projects.put(item, { condition: { eq: ['s', undefined] } }),
          'invalid_input',
        );
        expect(await projects.get(item)).toBeUndefined();
      });

      it('claims a file for ingestion only from uploaded or expired', async () => {
        const files = store().table('files');
        const key = { tenantProject: uid('tp'), fileId: 'f1' };
        await files.put({ ...key, name: 'a.txt', status: 'uploaded' });
        const claim = { condition: { in: ['status', ['uploaded', 'expired']] } as Condition };
        const claimed = await files.update(key, { status: 'ingesting' }, claim);
        expect(claimed).toEqual({ ...key, name: 'a.txt', status: 'ingesting' });
        const again = files.update(key, { status: 'ingesting', by: 'second' }, claim);
        await expect(again).rejects.toBeInstanceOf(ConditionFailedError);
        expect(await files.get(key)).toEqual(claimed);
      });

      it('lets exactly one of many concurrent claims win', async () => {
        const files = store().table('files');
        const key = { tenantProject: uid('tp'), fileId: 'f1' };
        await files.put({ ...key, status: 'expired' });
        const claim = { condition: { in: ['status', ['uploaded', 'expired']] } as Condition };
        const results = await Promise.allSettled(
          Array.from({ length: 8 }, (_, worker) =>
            files.update(key, { status: 'ingesting', worker }, claim),
          ),
        );
        const won = results.filter((r) => r.status === 'fulfilled');
        const lost = results.filter((r) => r.status === 'rejected');
        expect(won).toHaveLength(1);
        expect(lost.every((r) => r.reason instanceof ConditionFailedError)).toBe(true);
        const winner = won[0]!.value;
        expect(await files.get(key)).toEqual(winner);
      });

      it('deletes only while the condition holds', async () => {
        const projects = store().table('projects');
        const key = { tenantId: uid('tenant'), projectId: 'p' };
        await projects.put({ ...key, owner: 'u1' });
        const wrong = projects.delete(key, { condition: { eq: ['owner', 'u2'] } });
        await expect(wrong).rejects.toBeInstanceOf(ConditionFailedError);
        expect(await projects.get(key)).toEqual({ ...key, owner: 'u1' });
        const removed = await projects.delete(key, { condition: { eq: ['owner', 'u1'] } });
        expect(removed).toEqual({ ...key, owner: 'u1' });
        const missing = projects.delete(key, { condition: { exists: 'owner' } });
        await expect(missing).rejects.toBeInstanceOf(ConditionFailedError);
      });
    });

    describe('updates', () => {
      it('creates the item when missing and returns it with its key', async () => {
        const chats = store().table('chats');
        const key = { tenantId: uid('tenant'), chatId: 'c1' };
        const created = await chats.update(key, { status: 'preparing', fileIds: ['f1'] });
        expect(created).toEqual({ ...key, status: 'preparing', fileIds: ['f1'] });
        expect(await chats.get(key)).toEqual(created);
      });

      it('does not create the item when the condition needs an existing one', async () => {
        const chats = store().table('chats');
        const key = { tenantId: uid('tenant'), chatId: 'c1' };
        const update = chats.update(key, { status: 'ready' }, { condition: { exists: 'chatId' } });
        await expect(update).rejects.toBeInstanceOf(ConditionFailedError);
        expect(await chats.get(key)).toBeUndefined();
      });

      it('removes and increments attributes and returns the new item', async () => {
        const limits = store().table('rateLimits');
        const key = { key: uid('limit') };
        await limits.put({ ...key, points: 2, note: 'x', expire: 100 });
        const next = await limits.update(
          key,
          { expire: 200, ignored: undefined },
          { remove: ['note'], increment: { points: 3, fresh: 1 } },
        );
        expect(next).toEqual({ ...key, points: 5, fresh: 1, expire: 200 });
        expect(await limits.get(key)).toEqual(next);
      });

      it('rejects updates that change nothing or change the key', async () => {
        const chats = store().table('chats');
        const key = { tenantId: uid('tenant'), chatId: 'c1' };
        await expectCode(chats.update(key, {}), 'invalid_input');
        await expectCode(chats.update(key, { chatId: 'other' }), 'invalid_input');
        await expectCode(chats.update(key, { a: 1 }, { remove: ['a'] }), 'invalid_input');
        expect(await chats.update(key, { ...key, status: 'ok' })).toEqual({ ...key, status: 'ok' });
      });
    });

    describe('queries', () => {
      it('finds items by sort-key prefix in sort-key order', async () => {
        const files = store().table('files');
        const tenantProject = uid('tp');
        for (const fileId of ['b-2', 'a-2', 'a-1', 'ab', 'c']) {
          await files.put({ tenantProject, fileId });
        }
        const page = await files.query(tenantProject, { sortKey: { beginsWith: 'a-' } });
        expect(page.items.map((f) => f.fileId)).toEqual(['a-1', 'a-2']);
        expect(page.cursor).toBeUndefined();
        const all = await files.query(tenantProject);
        expect(all.items.map((f) => f.fileId)).toEqual(['a-1', 'a-2', 'ab', 'b-2', 'c']);
        const other = await files.query(uid('tp'));
        expect(other).toEqual({ items: [] });
      });

      it('keeps numeric sort keys in numeric order, both ways and in ranges', async () => {
        const history = store().table('chatHistory');
        const chatId = uid('chat');
        for (const seq of [7, 1, 12, 3, 10, 2, 11, 5, 9, 4, 8, 6]) {
          await history.put({ chatId, seq, role: seq % 2 ? 'user' : 'assistant' });
        }
        const seqs = async (options: QueryOptions): Promise<unknown[]> =>
          (await history.query(chatId, options)).items.map((m) => m.seq);
        expect(await seqs({})).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
        expect(await seqs({ descending: true, limit: 3 })).toEqual([12, 11, 10]);
        expect(await seqs({ sortKey: { between: [3, 7] } })).toEqual([3, 4, 5, 6, 7]);
        expect(await seqs({ sortKey: { gt: 10 } })).toEqual([11, 12]);
        expect(await seqs({ sortKey: { gte: 10 } })).toEqual([10, 11, 12]);
        expect(await seqs({ sortKey: { lt: 2 } })).toEqual([1]);
        expect(await seqs({ sortKey: { lte: 2 } })).toEqual([1, 2]);
        expect(await seqs({ sortKey: { eq: 9 } })).toEqual([9]);
      });

      it('pages through a partition with limit and cursor, both ways', async () => {
        const history = store().table('chatHistory');
        const chatId = uid('chat');
        for (let seq = 1; seq <= 12; seq += 1) await history.put({ chatId, seq });
        const forward = await allPages(history, chatId, { limit: 5 });
        expect(forward.items.map((m) => m.seq)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
        expect(forward.pages).toBeGreaterThanOrEqual(3);
        const first = await history.query(chatId, { limit: 5 });
        expect(first.items).toHaveLength(5);
        expect(first.cursor).toEqual(expect.any(String));
        const backward = await allPages(history, chatId, { limit: 4, descending: true });
        expect(backward.items.map((m) => m.seq)).toEqual([12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1]);
        const ranged = await allPages(history, chatId, { limit: 2, sortKey: { gte: 8 } });
        expect(ranged.items.map((m) => m.seq)).toEqual([8, 9, 10, 11, 12]);
      });

      it('rejects malformed queries as invalid input', async () => {
        const history = store().table('chatHistory');
        await expectCode(history.query('c', { sortKey: { beginsWith: '1' } }), 'invalid_input');
        await expectCode(history.query('c', { sortKey: { gt: 'x' } }), 'invalid_input');
        await expectCode(history.query('c', { limit: 0 }), 'invalid_input');
        await expectCode(history.query('c', { cursor: 'not a cursor' }), 'invalid_input');
        await expectCode(history.query('c', { index: 'nope' }), 'invalid_input');
      });
    });

    describe('the byExpiry index on kbFiles', () => {
      it('finds expired records of one shard in ttl order, page by page', async () => {
        const kbFiles = store().table('kbFiles');
        const shard = uid('shard');
        const now = Math.floor(Date.now() / 1000);
        const records = [
          { fileId: uid('f'), expiryShard: shard, ttl: now - 30 },
          { fileId: uid('f'), expiryShard: shard, ttl: now - 300 },
          { fileId: uid('f'), expiryShard: shard, ttl: now - 300 },
          { fileId: uid('f'), expiryShard: shard, ttl: now + 600 },
          { fileId: uid('f'), expiryShard: uid('other'), ttl: now - 300 },
          { fileId: uid('f'), expiryShard: shard },
        ];
        for (const record of records) await kbFiles.put({ ...record, tenantId: 't' });
        const expired = { index: 'byExpiry', sortKey: { lte: now } } as const;
        await eventually(
          () => allPages(kbFiles, shard, { ...expired, limit: 1 }),
          ({ items }) => {
            expect(items.map((r) => r.ttl)).toEqual([now - 300, now - 300, now - 30]);
            const ids = items.map((r) => r.fileId);
            expect(new Set(ids)).toEqual(new Set(records.slice(0, 3).map((r) => r.fileId)));
          },
        );
      });

      it('deletes an expired record only while its ttl is still past', async () => {
        const kbFiles = store().table('kbFiles');
        const shard = uid('shard');
        const now = Math.floor(Date.now() / 1000);
        const stale = { fileId: uid('f'), expiryShard: shard, ttl: now - 60 };
        const refreshed = { fileId: uid('f'), expiryShard: shard, ttl: now - 60 };
        await kbFiles.put(stale);
        await kbFiles.put(refreshed);
        // A chat refreshes one file between the sweeper's query and its delete.
        await kbFiles.update({ fileId: refreshed.fileId }, { ttl: now + 3600 });
        const stillPast = { condition: { lte: ['ttl', now] } as Condition };
        expect(await kbFiles.delete({ fileId: stale.fileId }, stillPast)).toEqual(stale);
        const lost = kbFiles.delete({ fileId: refreshed.fileId }, stillPast);
        await expect(lost).rejects.toBeInstanceOf(ConditionFailedError);
        expect(await kbFiles.get({ fileId: refreshed.fileId })).toEqual({
          ...refreshed,
          ttl: now + 3600,
        });
        await eventually(
          () => kbFiles.query(shard, { index: 'byExpiry', sortKey: { lte: now } }),
          ({ items }) => expect(items).toEqual([]),
        );
      });
    });
  });
}
