import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { REPO_ROOT } from '@jitkb/shared/testing';
import { SWEEPER_LEASE } from '../src/domain/sweeper';
import { startHarness, waitFor, type Harness } from './harness';

const TEXT = 'Owls turn their heads three quarters of a circle.\n\nTheir eyes cannot move.';

/** Starts src/main.ts on the harness's data directory; resolves once it listens. */
async function startMain(h: Harness): Promise<{ child: ChildProcess; output: () => string }> {
  const child = spawn(
    path.join(REPO_ROOT, 'node_modules/.bin/tsx'),
    ['--conditions=@jitkb/source', path.join(__dirname, '../src/main.ts')],
    {
      cwd: REPO_ROOT,
      env: {
        ...process.env,
        JITKB_MODE: 'embedded',
        JITKB_DATA_DIR: h.dataDir,
        JITKB_UPLOAD_SECRET: 'x'.repeat(32),
        JITKB_EMBEDDING_MODEL_DIR: path.join(h.dataDir, 'no-model'),
        JITKB_SWEEP_INTERVAL_SECONDS: '1',
        PORT: '0',
        LOG_LEVEL: 'info',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    },
  );
  let output = '';
  const collect = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-20_000);
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  await waitFor(
    'the janitor to listen',
    async () => (output.includes('"listening"') ? true : undefined),
    30_000,
  );
  return { child, output: () => output };
}

describe('janitor main', () => {
  let h: Harness;
  let child: ChildProcess | undefined;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(async () => {
    if (child?.pid !== undefined && child.exitCode === null && child.signalCode === null) {
      process.kill(-child.pid, 'SIGKILL');
    }
    await h.close();
  });

  it('sweeps and removes expired files, then drains on SIGTERM and releases its lease', async () => {
    const main = await startMain(h);
    child = main.child;
    const ref = await h.seedFile({
      tenantId: 't-main',
      projectId: 'p-main',
      text: TEXT,
      ttlSeconds: -5,
    });
    await waitFor('the janitor process to expire the file', async () =>
      (await h.files.get(ref))?.status === 'expired' ? true : undefined,
    );
    expect(await h.knowledgeBase.countChunks(ref.fileId)).toBe(0);
    expect((await h.leases.get(SWEEPER_LEASE))?.holder).toBeDefined();

    const exited = new Promise<number | null>((resolve) => main.child.once('exit', resolve));
    main.child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(main.output()).toContain('"stopped"');
    expect(await h.leases.get(SWEEPER_LEASE)).toBeUndefined();
  });
});
