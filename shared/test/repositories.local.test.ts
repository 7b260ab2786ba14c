import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { SqliteTableStore } from '../src/adapters/local/sqlite-table-store';
import type { OpenStore } from './repositories/fixture';
import { describeFilesRepository } from './repositories/files.suite';
import { describeKbFilesRepository } from './repositories/kb-files.suite';
import { describeProjectsRepository } from './repositories/projects.suite';

// A database file, not ':memory:', as the embedded mode runs it.
const open: OpenStore = async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'jitkb-repos-'));
  const store = new SqliteTableStore({ path: path.join(dir, 'tables.db') });
  return {
    store,
    async cleanup() {
      await store.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
};

describeProjectsRepository('SQLite', open);
describeFilesRepository('SQLite', open);
describeKbFilesRepository('SQLite', open);
