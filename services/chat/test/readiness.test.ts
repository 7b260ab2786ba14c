import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  SqliteTableStore,
  createEvent,
  createFilesRepository,
  createLogger,
  type FilesRepository,
} from '@jitkb/shared';
import { chatStatusOf } from '../src/domain/readiness';
import { createEventHandler } from '../src/handlers';

describe('chatStatusOf', () => {
  it('is ready when every file is ready or failed, with one ready', () => {
    expect(chatStatusOf(['ready', 'failed', 'ready'])).toBe('ready');
    expect(chatStatusOf(['ready'])).toBe('ready');
  });

  it('is failed when every file failed', () => {
    expect(chatStatusOf(['failed', 'failed'])).toBe('failed');
  });

  it('is preparing while any file is on its way or expired', () => {
    for (const waiting of ['uploaded', 'ingesting', 'expired'] as const) {
      expect(chatStatusOf(['ready', waiting])).toBe('preparing');
    }
  });
});

describe('the chat queue handler', () => {
  let dir: string;
  let store: SqliteTableStore;
  let files: FilesRepository;
  const log = createLogger({ service: 'chat', level: 'silent' });
  const ref = { tenantId: 't1', projectId: 'p1', fileId: 'f1' };

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'jitkb-chat-handler-'));
    store = new SqliteTableStore({ path: path.join(dir, 'tables.db') });
    files = createFilesRepository(store);
    await files.create({
      ...ref,
      name: 'a.txt',
      contentType: 'text/plain',
      size: 1,
      objectKey: 'k',
    });
    await files.markUploaded(ref);
    await files.claimForIngestion(ref);
  });
  afterAll(async () => {
    await store.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('marks a file ready on file.ingested, idempotently, and never moves expiry back', async () => {
    const handle = createEventHandler({ files, log });
    const later = '2030-01-02T00:00:00.000Z';
    const event = createEvent('file.ingested', 't1', {
      projectId: 'p1',
      fileId: 'f1',
      chunks: 2,
      expiresAt: later,
    });
    await handle({ event, receiveCount: 1, correlationId: undefined });
    await handle({ event, receiveCount: 2, correlationId: undefined });
    const old = createEvent('file.ingested', 't1', {
      ...event.data,
      expiresAt: '2029-01-01T00:00:00.000Z',
    });
    await handle({ event: old, receiveCount: 1, correlationId: undefined });
    expect(await files.get(ref)).toMatchObject({ status: 'ready', expiresAt: later });
  });

  it('leaves a ready file alone on a late file.ingest-failed', async () => {
    const handle = createEventHandler({ files, log });
    const event = createEvent('file.ingest-failed', 't1', {
      projectId: 'p1',
      fileId: 'f1',
      reason: 'x',
    });
    await handle({ event, receiveCount: 1, correlationId: undefined });
    expect((await files.get(ref))?.status).toBe('ready');
  });
});
