import { ConditionFailedError } from '../../src/errors/app-error';
import {
  createFilesRepository,
  type FileRef,
  type FilesRepository,
} from '../../src/repositories/files.repository';
import { newTenant, useStore, type OpenStore } from './fixture';

const LATER = '2026-03-01T00:00:00.000Z';
const EARLIER = '2026-02-01T00:00:00.000Z';

/** The files repository on the store `open` gives. */
export function describeFilesRepository(label: string, open: OpenStore): void {
  describe(`files repository (${label})`, () => {
    const store = useStore(open);
    const repo = () => createFilesRepository(store(), { now: () => new Date(EARLIER) });

    async function newFile(fileId = 'f1', tenantId = newTenant()): Promise<FileRef> {
      const ref = { tenantId, projectId: 'p1', fileId };
      await repo().create({
        ...ref,
        name: 'notes.txt',
        contentType: 'text/plain',
        size: 10,
        objectKey: `tenants/${tenantId}/projects/p1/files/${fileId}`,
      });
      return ref;
    }

    /** Moves a new file to `uploaded`, then through `steps`. */
    async function fileIn(steps: Array<(repo: FilesRepository, ref: FileRef) => Promise<unknown>>) {
      const ref = await newFile();
      await repo().markUploaded(ref);
      for (const step of steps) await step(repo(), ref);
      return ref;
    }
    const claim = (r: FilesRepository, ref: FileRef) => r.claimForIngestion(ref);
    const ready = (r: FilesRepository, ref: FileRef) => r.markReady(ref, LATER);
    const expire = (r: FilesRepository, ref: FileRef) => r.markExpired(ref);

    it('creates a file as pending-upload under its tenant and project', async () => {
      const ref = await newFile();
      await expect(repo().get(ref)).resolves.toMatchObject({
        ...ref,
        tenantProject: `${ref.tenantId}#p1`,
        status: 'pending-upload',
        createdAt: EARLIER,
      });
      await expect(
        repo().create({ ...ref, name: 'x', contentType: 'text/plain', size: 1, objectKey: 'k' }),
      ).rejects.toThrow(ConditionFailedError);
    });

    it("never returns another tenant's file", async () => {
      const ref = await newFile();
      const other = { ...ref, tenantId: newTenant() };
      await expect(repo().get(other)).resolves.toBeUndefined();
      await expect(repo().listAll(other.tenantId, 'p1')).resolves.toEqual([]);
      await expect(repo().getMany(other.tenantId, 'p1', ['f1'])).resolves.toEqual([]);
      await expect(repo().markUploaded(other)).resolves.toBeUndefined();
      await expect(repo().delete(other)).resolves.toBeUndefined();
      await expect(repo().get(ref)).resolves.toMatchObject({ status: 'pending-upload' });
    });

    it('gets many files, skipping missing ones, and lists them page by page', async () => {
      const tenant = newTenant();
      for (const id of ['a', 'b', 'c']) await newFile(id, tenant);
      const many = await repo().getMany(tenant, 'p1', ['c', 'missing', 'a', 'c']);
      expect(many.map((f) => f.fileId)).toEqual(['c', 'a']);
      const first = await repo().list(tenant, 'p1', { limit: 2 });
      expect(first.items.map((f) => f.fileId)).toEqual(['a', 'b']);
      const second = await repo().list(tenant, 'p1', { limit: 2, cursor: first.cursor! });
      expect(second.items.map((f) => f.fileId)).toEqual(['c']);
    });

    it('marks a file uploaded only from pending-upload', async () => {
      const ref = await newFile();
      await expect(repo().markUploaded(ref)).resolves.toMatchObject({ status: 'uploaded' });
      await expect(repo().markUploaded(ref)).resolves.toBeUndefined();
    });

    it('lets exactly one of several concurrent claims win', async () => {
      const ref = await fileIn([]);
      const wins = await Promise.all(
        Array.from({ length: 6 }, () => repo().claimForIngestion(ref)),
      );
      expect(wins.filter(Boolean)).toHaveLength(1);
      await expect(repo().get(ref)).resolves.toMatchObject({ status: 'ingesting' });
    });

    it('claims an expired file again but not a pending, ready or failed one', async () => {
      const expired = await fileIn([claim, ready, expire]);
      await expect(repo().claimForIngestion(expired)).resolves.toBe(true);
      await expect(repo().claimForIngestion(await newFile())).resolves.toBe(false);
      await expect(repo().claimForIngestion(await fileIn([claim, ready]))).resolves.toBe(false);
      const failed = await fileIn([claim, (r, ref) => r.markFailed(ref, 'bad pdf')]);
      await expect(repo().claimForIngestion(failed)).resolves.toBe(false);
    });

    it('lets a recorded claim be taken over only when stale or by a later receive', async () => {
      const ref = await fileIn([]);
      // The repository's clock says EARLIER, so claims are recorded at EARLIER.
      const fresh = { staleBefore: '2026-01-01T00:00:00.000Z' };
      await expect(repo().claimForIngestion(ref, { by: 'e1', attempt: 1, ...fresh })).resolves.toBe(
        true,
      );
      await expect(repo().claimForIngestion(ref, { by: 'e2', attempt: 1, ...fresh })).resolves.toBe(
        false,
      );
      await expect(repo().claimForIngestion(ref, { by: 'e1', attempt: 1, ...fresh })).resolves.toBe(
        false,
      );
      await expect(repo().claimForIngestion(ref, { by: 'e1', attempt: 2, ...fresh })).resolves.toBe(
        true,
      );
      await expect(repo().claimForIngestion(ref)).resolves.toBe(false);
      await expect(
        repo().claimForIngestion(ref, { by: 'e3', attempt: 1, staleBefore: LATER }),
      ).resolves.toBe(true);
      await expect(repo().get(ref)).resolves.toMatchObject({
        status: 'ingesting',
        claimedBy: 'e3',
        claimAttempt: 1,
        claimedAt: EARLIER,
      });
    });

    it('marks a file ready, and never moves its expiry back', async () => {
      const ref = await fileIn([claim]);
      await expect(repo().markReady(ref, LATER)).resolves.toMatchObject({
        status: 'ready',
        expiresAt: LATER,
      });
      await expect(repo().markReady(ref, EARLIER)).resolves.toBeUndefined();
      // A repeat changes nothing, in another format of the same instant too.
      const written = await repo().get(ref);
      await expect(repo().markReady(ref, LATER)).resolves.toBeUndefined();
      await expect(repo().markReady(ref, '2026-03-01T00:00:00Z')).resolves.toBeUndefined();
      await expect(repo().get(ref)).resolves.toEqual(written);
      const later = '2026-04-01T00:00:00.000Z';
      await expect(repo().markReady(ref, later)).resolves.toMatchObject({ expiresAt: later });
    });

    it('never brings an expired file back with the expiry it expired at', async () => {
      const ref = await fileIn([claim, ready, expire]);
      await expect(repo().markReady(ref, LATER)).resolves.toBeUndefined();
      await expect(repo().get(ref)).resolves.toMatchObject({ status: 'expired' });
      // Claimed again for a new ingestion: a late copy of the old one leaves it ingesting.
      await expect(repo().claimForIngestion(ref)).resolves.toBe(true);
      await expect(repo().markReady(ref, LATER)).resolves.toBeUndefined();
      await expect(repo().get(ref)).resolves.toMatchObject({ status: 'ingesting' });
    });

    it('does not mark a pending or failed file ready', async () => {
      await expect(repo().markReady(await newFile(), LATER)).resolves.toBeUndefined();
      const failed = await fileIn([claim, (r, ref) => r.markFailed(ref, 'bad pdf')]);
      await expect(repo().markReady(failed, LATER)).resolves.toBeUndefined();
    });

    it('marks a file failed with a reason, but never a ready one', async () => {
      const ref = await fileIn([claim]);
      await expect(repo().markFailed(ref, 'no text')).resolves.toMatchObject({
        status: 'failed',
        failureReason: 'no text',
      });
      await expect(repo().markFailed(ref, 'no text')).resolves.toMatchObject({ status: 'failed' });
      const readyFile = await fileIn([claim, ready]);
      await expect(repo().markFailed(readyFile, 'late')).resolves.toBeUndefined();
      await expect(repo().get(readyFile)).resolves.toMatchObject({ status: 'ready' });
    });

    it('marks only a ready file expired', async () => {
      const ref = await fileIn([claim, ready]);
      await expect(repo().markExpired(ref)).resolves.toMatchObject({ status: 'expired' });
      await expect(repo().markExpired(ref)).resolves.toBeUndefined();
      await expect(repo().markExpired(await fileIn([claim]))).resolves.toBeUndefined();
    });

    it('never brings a deleted file back through a transition', async () => {
      const ref = await fileIn([claim]);
      await expect(repo().delete(ref)).resolves.toMatchObject({ fileId: 'f1' });
      await expect(repo().markReady(ref, LATER)).resolves.toBeUndefined();
      await expect(repo().markFailed(ref, 'x')).resolves.toBeUndefined();
      await expect(repo().claimForIngestion(ref)).resolves.toBe(false);
      await expect(repo().get(ref)).resolves.toBeUndefined();
      await expect(repo().delete(ref)).resolves.toBeUndefined();
    });
  });
}
