import { randomUUID } from 'node:crypto';
import { createKbFilesRepository } from '../../src/repositories/kb-files.repository';
import { newTenant, useStore, type OpenStore } from './fixture';

// Far-future ttls everywhere but in the queryExpired test, whose shard query must see only its
// own records.
const FUTURE = 4_000_000_000;

/** The kb-files repository on the store `open` gives. */
export function describeKbFilesRepository(label: string, open: OpenStore): void {
  describe(`kb-files repository (${label})`, () => {
    const store = useStore(open);
    const repo = () => createKbFilesRepository(store(), { shards: 4 });
    const record = (fileId: string, ttl: number) => ({
      fileId,
      tenantId: newTenant(),
      projectId: 'p1',
      userId: 'u1',
      chunks: 3,
      ttl,
    });

    it('stores a record in the shard derived from its file id', async () => {
      const fileId = randomUUID();
      const stored = await repo().put(record(fileId, FUTURE));
      expect(stored.expiryShard).toBe(repo().shardOf(fileId));
      expect(repo().shards).toContain(stored.expiryShard);
      await expect(repo().get(fileId)).resolves.toEqual(stored);
    });

    it('spreads file ids over every shard', () => {
      const used = new Set(Array.from({ length: 200 }, () => repo().shardOf(randomUUID())));
      expect([...used].sort()).toEqual(['0', '1', '2', '3']);
    });

    it('gets many records, skipping missing ones', async () => {
      const [a, b] = [randomUUID(), randomUUID()];
      await repo().put(record(a, FUTURE));
      await repo().put(record(b, FUTURE));
      const many = await repo().getMany([b, randomUUID(), a]);
      expect(many.map((r) => r.fileId)).toEqual([b, a]);
    });

    it('extends a ttl but never shortens it', async () => {
      const fileId = randomUUID();
      await repo().put(record(fileId, FUTURE));
      await expect(repo().refreshTtl(fileId, FUTURE + 60)).resolves.toBe('extended');
      await expect(repo().refreshTtl(fileId, FUTURE)).resolves.toBe('unchanged');
      await expect(repo().refreshTtl(fileId, FUTURE + 60)).resolves.toBe('unchanged');
      await expect(repo().get(fileId)).resolves.toMatchObject({ ttl: FUTURE + 60 });
    });

    it('reports a missing record on refresh without creating one', async () => {
      const fileId = randomUUID();
      await expect(repo().refreshTtl(fileId, FUTURE)).resolves.toBe('missing');
      await expect(repo().get(fileId)).resolves.toBeUndefined();
    });

    it('deletes a record only once its ttl has passed', async () => {
      const fileId = randomUUID();
      await repo().put(record(fileId, FUTURE));
      await expect(repo().deleteIfExpired(fileId, FUTURE - 1)).resolves.toBeUndefined();
      await expect(repo().get(fileId)).resolves.toBeDefined();
      await expect(repo().deleteIfExpired(fileId, FUTURE)).resolves.toMatchObject({ fileId });
      await expect(repo().get(fileId)).resolves.toBeUndefined();
      await expect(repo().deleteIfExpired(fileId, FUTURE)).resolves.toBeUndefined();
    });

    it('lets a refresh win over a sweep that read the old ttl', async () => {
      const fileId = randomUUID();
      await repo().put(record(fileId, FUTURE));
      await repo().refreshTtl(fileId, FUTURE + 600);
      await expect(repo().deleteIfExpired(fileId, FUTURE + 1)).resolves.toBeUndefined();
      await expect(repo().get(fileId)).resolves.toMatchObject({ ttl: FUTURE + 600 });
    });

    it('finds the expired records of one shard, oldest first, up to a limit', async () => {
      const shard = '2';
      const ids: string[] = [];
      while (ids.length < 4) {
        const id = randomUUID();
        if (repo().shardOf(id) === shard) ids.push(id);
      }
      const ttls = [130, 110, 120, 200];
      await Promise.all(ids.map((id, i) => repo().put(record(id, ttls[i]!))));
      const expired = await repo().queryExpired(shard, 150, 10);
      expect(expired.map((r) => r.ttl)).toEqual([110, 120, 130]);
      expect(expired.map((r) => r.fileId)).toEqual([ids[1], ids[2], ids[0]]);
      await expect(repo().queryExpired(shard, 150, 2)).resolves.toHaveLength(2);
      await expect(repo().queryExpired('1', 150, 10)).resolves.not.toContainEqual(
        expect.objectContaining({ fileId: ids[0] }),
      );
    });
  });
}
