import { createEvent, createLogger, type FileRef } from '@jitkb/shared';
import { createDeleteProject } from '../src/domain/delete-project';
import { createJanitorMetrics } from '../src/domain/janitor-metrics';
import { startHarness, waitFor, type Harness } from './harness';

const TEXT =
  'Beekeepers smoke the hive to calm it.\n\nThe queen lays up to two thousand eggs a day.';

describe('project.deleted', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
    h.startConsumer();
  });
  afterAll(async () => {
    await h.close();
  });

  async function project(tenantId: string, projectId: string, files: number): Promise<FileRef[]> {
    await h.projects.create({
      tenantId,
      projectId,
      name: projectId,
      ownerId: 'user-1',
      createdAt: new Date().toISOString(),
    });
    const refs: FileRef[] = [];
    for (let i = 0; i < files; i += 1) {
      refs.push(await h.seedFile({ tenantId, projectId, text: TEXT, ttlSeconds: 600 }));
    }
    return refs;
  }

  /** What is left of the file: chunks, kb-files record, file record, object. */
  async function traces(ref: FileRef): Promise<string[]> {
    const left: string[] = [];
    if ((await h.knowledgeBase.countChunks(ref.fileId)) > 0) left.push('chunks');
    if (await h.kbFiles.get(ref.fileId)) left.push('kb-files record');
    const file = await h.files.get(ref);
    if (file) left.push('file record');
    const key = `tenants/${ref.tenantId}/projects/${ref.projectId}/files/${ref.fileId}`;
    if (await h.adapters.objects.head(key)) left.push('object');
    return left;
  }

  it("removes every file of the project and nothing of another project or another tenant's", async () => {
    const doomed = await project('tenant-a', 'shared-name', 3);
    const sibling = await project('tenant-a', 'kept', 1);
    // Another tenant's project with the same id: the tenant leads every key.
    const neighbour = await project('tenant-b', 'shared-name', 1);
    // An object of the project with no file record (an upload that was never completed).
    await h.adapters.objects.put(
      'tenants/tenant-a/projects/shared-name/files/orphan',
      Buffer.from('x'),
      'text/plain',
    );

    await h.projects.delete('tenant-a', 'shared-name');
    await h.adapters.bus.publish(
      createEvent('project.deleted', 'tenant-a', { projectId: 'shared-name' }),
    );

    await waitFor('the project to be emptied', async () =>
      (await h.files.listAll('tenant-a', 'shared-name')).length === 0 &&
      !(await h.adapters.objects.head('tenants/tenant-a/projects/shared-name/files/orphan'))
        ? true
        : undefined,
    );
    for (const ref of doomed) expect(await traces(ref)).toEqual([]);
    for (const ref of [...sibling, ...neighbour]) {
      expect(await traces(ref)).toEqual(['chunks', 'kb-files record', 'file record', 'object']);
    }
  });

  it('is idempotent: handling the event again removes nothing more and succeeds', async () => {
    const [kept] = await project('tenant-c', 'other', 1);
    await project('tenant-c', 'gone', 2);
    await h.projects.delete('tenant-c', 'gone');
    const event = createEvent('project.deleted', 'tenant-c', { projectId: 'gone' });
    const received = { event, receiveCount: 1, correlationId: undefined };
    await h.service.handleEvent(received);
    await h.service.handleEvent({ ...received, receiveCount: 2 });
    expect(await h.files.listAll('tenant-c', 'gone')).toEqual([]);
    if (!kept) throw new Error('no file');
    expect(await traces(kept)).toHaveLength(4);
  });

  it('refuses an event for a project that still exists, removing nothing', async () => {
    const [ref] = await project('tenant-d', 'alive', 1);
    if (!ref) throw new Error('no file');
    const event = createEvent('project.deleted', 'tenant-d', { projectId: 'alive' });
    await expect(
      h.service.handleEvent({ event, receiveCount: 1, correlationId: undefined }),
    ).rejects.toMatchObject({
      code: 'invalid_input',
    });
    expect(await traces(ref)).toHaveLength(4);
  });

  it('works through the files page by page', async () => {
    const refs = await project('tenant-e', 'paged', 5);
    await h.projects.delete('tenant-e', 'paged');
    const deleteProject = createDeleteProject({
      projects: h.projects,
      files: h.files,
      kbFiles: h.kbFiles,
      knowledgeBase: h.knowledgeBase,
      objects: h.adapters.objects,
      metrics: createJanitorMetrics(h.metrics),
      pageSize: 2,
    });
    const log = createLogger({ service: 'janitor', level: 'silent' });
    expect(await deleteProject({ tenantId: 'tenant-e', projectId: 'paged' }, log)).toEqual({
      files: 5,
      objects: 5,
    });
    for (const ref of refs) expect(await traces(ref)).toEqual([]);
  });
});
