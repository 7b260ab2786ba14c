import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { SqliteTableStore } from '../src/adapters/local/sqlite-table-store';
import { describeTableStore } from '../src/contracts/table.contract';
import { REPO_ROOT } from '../src/testing';

describeTableStore('SQLite in memory', async () => {
  const store = new SqliteTableStore({ path: ':memory:' });
  return { store, cleanup: () => store.close() };
});

describeTableStore('SQLite on disk', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'jitkb-tables-'));
  const store = new SqliteTableStore({ path: path.join(dir, 'tables.db') });
  return {
    store,
    async cleanup() {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
});

describe('SqliteTableStore', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'jitkb-tables-'));
  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('keeps items across reopening the file', async () => {
    const file = path.join(dir, 'tables.db');
    const first = new SqliteTableStore({ path: file });
    await first.table('projects').put({ tenantId: 't', projectId: 'p', name: 'kept' });
    await first.close();
    const second = new SqliteTableStore({ path: file });
    expect(await second.table('projects').get({ tenantId: 't', projectId: 'p' })).toEqual({
      tenantId: 't',
      projectId: 'p',
      name: 'kept',
    });
    await second.close();
  });

  it('serves the expiry query from its index, not a scan', async () => {
    const store = new SqliteTableStore({ path: ':memory:' });
    const plan = store.queryPlan('kbFiles', 'shard-0', {
      index: 'byExpiry',
      sortKey: { lte: 1_700_000_000 },
      limit: 100,
    });
    await store.close();
    expect(plan.join('\n')).toMatch(/USING INDEX "?items_kbFiles__byExpiry/);
    expect(plan.join('\n')).not.toMatch(/^SCAN/m);
  });

  it('lets exactly one process win each claim when processes share the file', async () => {
    const file = path.join(dir, 'tables.db');
    const setup = new SqliteTableStore({ path: file });
    const files = setup.table('files');
    const fileIds = Array.from({ length: 60 }, (_, i) => `f${i}`);
    for (const fileId of fileIds)
      await files.put({ tenantProject: 'tp', fileId, status: 'uploaded' });
    // Each process tries to claim every file, and counts its wins in a shared counter. They
    // start together, so that their claims overlap despite uneven start-up times.
    const startAt = Date.now() + 4000;
    const script = `
      const { SqliteTableStore } = require(${JSON.stringify(path.join(REPO_ROOT, 'shared/src/adapters/local/sqlite-table-store.ts'))});
      (async () => {
        const store = new SqliteTableStore({ path: ${JSON.stringify(file)} });
        const files = store.table('files');
        const wins = [];
        await new Promise((resolve) => setTimeout(resolve, ${startAt} - Date.now()));
        for (const fileId of ${JSON.stringify(fileIds)}) {
          try {
            await files.update({ tenantProject: 'tp', fileId }, { status: 'ingesting', by: process.pid },
              { condition: { in: ['status', ['uploaded', 'expired']] } });
            await store.table('rateLimits').update({ key: 'claims' }, {}, { increment: { n: 1 } });
            wins.push(fileId);
          } catch (error) {
            if (error.name !== 'ConditionFailedError') throw error;
          }
        }
        await store.close();
        process.stdout.write(JSON.stringify(wins));
      })().catch((error) => { process.stderr.write(String(error.stack)); process.exit(1); });`;
    const outputs = await Promise.all([1, 2, 3].map(() => runTsx(script)));
    const wins = outputs.flatMap((output) => JSON.parse(output) as string[]);
    expect(wins.sort()).toEqual([...fileIds].sort());
    expect(await setup.table('rateLimits').get({ key: 'claims' })).toEqual({
      key: 'claims',
      n: fileIds.length,
    });
    await setup.close();
  }, 60_000);
});

function runTsx(script: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const tsx = path.join(REPO_ROOT, 'node_modules/.bin/tsx');
    const child = spawn(tsx, ['-e', script], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.once('error', reject);
    child.once('exit', (code) =>
      code === 0 ? resolve(stdout) : reject(new Error(`claimer exited ${code}: ${stderr}`)),
    );
  });
}
