import { ConditionFailedError } from '../../src/errors/app-error';
import { createProjectsRepository } from '../../src/repositories/projects.repository';
import { newTenant, useStore, type OpenStore } from './fixture';

const at = '2026-01-01T00:00:00.000Z';

/** The projects repository on the store `open` gives. */
export function describeProjectsRepository(label: string, open: OpenStore): void {
  describe(`projects repository (${label})`, () => {
    const store = useStore(open);
    const repo = () => createProjectsRepository(store());
    const project = (tenantId: string, projectId: string) => ({
      tenantId,
      projectId,
      name: `project ${projectId}`,
      ownerId: 'user-1',
      createdAt: at,
    });

    it('creates a project with no files and reads it back', async () => {
      const tenant = newTenant();
      await repo().create(project(tenant, 'p1'));
      await expect(repo().get(tenant, 'p1')).resolves.toEqual({
        ...project(tenant, 'p1'),
        fileCount: 0,
      });
    });

    it('refuses a second project with the same id', async () => {
      const tenant = newTenant();
      await repo().create(project(tenant, 'p1'));
      await expect(repo().create({ ...project(tenant, 'p1'), name: 'other' })).rejects.toThrow(
        ConditionFailedError,
      );
      await expect(repo().get(tenant, 'p1')).resolves.toMatchObject({ name: 'project p1' });
    });

    it("never returns another tenant's project", async () => {
      const owner = newTenant();
      const other = newTenant();
      await repo().create(project(owner, 'p1'));
      await expect(repo().get(other, 'p1')).resolves.toBeUndefined();
      await expect(repo().listAll(other)).resolves.toEqual([]);
      await expect(repo().delete(other, 'p1')).resolves.toBeUndefined();
      await expect(repo().get(owner, 'p1')).resolves.toBeDefined();
    });

    it('lists a tenant’s projects page by page', async () => {
      const tenant = newTenant();
      for (const id of ['a', 'b', 'c']) await repo().create(project(tenant, id));
      const first = await repo().list(tenant, { limit: 2 });
      expect(first.items.map((p) => p.projectId)).toEqual(['a', 'b']);
      expect(first.cursor).toBeDefined();
      const second = await repo().list(tenant, { limit: 2, cursor: first.cursor! });
      expect(second.items.map((p) => p.projectId)).toEqual(['c']);
      expect((await repo().listAll(tenant)).map((p) => p.projectId)).toEqual(['a', 'b', 'c']);
    });

    it('deletes a project once', async () => {
      const tenant = newTenant();
      await repo().create(project(tenant, 'p1'));
      await expect(repo().delete(tenant, 'p1')).resolves.toMatchObject({ projectId: 'p1' });
      await expect(repo().delete(tenant, 'p1')).resolves.toBeUndefined();
      await expect(repo().get(tenant, 'p1')).resolves.toBeUndefined();
    });

    it('reserves file slots up to the limit and no further', async () => {
      const tenant = newTenant();
      await repo().create(project(tenant, 'p1'));
      await expect(repo().reserveFileSlot(tenant, 'p1', 2)).resolves.toEqual({
        reserved: true,
        fileCount: 1,
      });
      await expect(repo().reserveFileSlot(tenant, 'p1', 2)).resolves.toMatchObject({
        reserved: true,
      });
      await expect(repo().reserveFileSlot(tenant, 'p1', 2)).resolves.toEqual({
        reserved: false,
        reason: 'limit-reached',
        fileCount: 2,
      });
    });

    it('never lets concurrent reservations pass the limit', async () => {
      const tenant = newTenant();
      await repo().create(project(tenant, 'p1'));
      const results = await Promise.all(
        Array.from({ length: 12 }, () => repo().reserveFileSlot(tenant, 'p1', 5)),
      );
      expect(results.filter((r) => r.reserved)).toHaveLength(5);
      await expect(repo().get(tenant, 'p1')).resolves.toMatchObject({ fileCount: 5 });
    });

    it('reports a missing project instead of creating it when reserving', async () => {
      const tenant = newTenant();
      await expect(repo().reserveFileSlot(tenant, 'nope', 5)).resolves.toEqual({
        reserved: false,
        reason: 'not-found',
      });
      await expect(repo().get(tenant, 'nope')).resolves.toBeUndefined();
    });

    it('releases slots without going below zero or creating a project', async () => {
      const tenant = newTenant();
      await repo().create(project(tenant, 'p1'));
      await repo().reserveFileSlot(tenant, 'p1', 5);
      await repo().releaseFileSlot(tenant, 'p1');
      await repo().releaseFileSlot(tenant, 'p1');
      await expect(repo().get(tenant, 'p1')).resolves.toMatchObject({ fileCount: 0 });
      await repo().releaseFileSlot(tenant, 'gone');
      await expect(repo().get(tenant, 'gone')).resolves.toBeUndefined();
    });
  });
}
