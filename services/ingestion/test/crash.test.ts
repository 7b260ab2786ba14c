/** @jest-environment ./shared/src/testing/onnx-test-environment.js */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { REPO_ROOT } from '@jitkb/shared/testing';
import { startEmbeddedHarness, type Harness } from './harness';

/**
 * Runs crash-worker.ts on the harness's data directory until it is inside the ingestion of
 * `fileId`, then kills its process group with SIGKILL: no handler, heartbeat or shutdown hook
 * runs again, as in a crash.
 */
async function crashMidIngestion(h: Harness, fileId: string): Promise<void> {
  const child = spawn(
    path.join(REPO_ROOT, 'node_modules/.bin/tsx'),
    ['--conditions=@jitkb/source', path.join(__dirname, 'crash-worker.ts')],
    {
      cwd: REPO_ROOT,
      env: {
        ...process.env,
        JITKB_MODE: 'embedded',
        JITKB_DATA_DIR: h.config.JITKB_MODE === 'embedded' ? h.config.JITKB_DATA_DIR : '',
        INGEST_VISIBILITY_TIMEOUT_SECONDS: '2',
        LOG_LEVEL: 'silent',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    },
  );
  let stdout = '';
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4000);
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`the crash worker never started ingesting: ${stderr}`)),
        30_000,
      );
      child.stdout.on('data', (chunk: Buffer) => {
        stdout += chunk.toString();
        if (stdout.includes(`ingesting ${fileId}`)) {
          clearTimeout(timer);
          resolve();
        }
      });
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`the crash worker exited with ${code}: ${stderr}`));
      });
    });
  } finally {
    if (child.pid !== undefined && child.exitCode === null && child.signalCode === null) {
      process.kill(-child.pid, 'SIGKILL');
    }
    await exited;
  }
}

describe('a worker that crashes mid-ingestion', () => {
  it('leaves the file to the redelivered message, which ingests it once', async () => {
    const h = await startEmbeddedHarness({ visibilityTimeoutSeconds: 2 });
    try {
      const file = await h.addFile('tenant-crash', 'sample.html', 'text/html');
      const event = await h.request([file]);
      await crashMidIngestion(h, file.fileId);
      // The dead worker's claim is fresh (the stale limit is 15 minutes), and it is this
      // message's: only its redelivery may take it over.
      await expect(h.files.get(file)).resolves.toMatchObject({
        status: 'ingesting',
        claimedBy: event.id,
        claimAttempt: 1,
      });

      h.startWorker();
      const ready = await h.waitForStatus(file, 'ready', 30_000);
      expect(ready).toMatchObject({ claimedBy: event.id, claimAttempt: 2 });
      const chunks = await h.knowledgeBase.countChunks(file.fileId);
      expect(chunks).toBeGreaterThan(1);
      await expect(h.kbFiles.get(file.fileId)).resolves.toMatchObject({ chunks });
      await expect(h.adapters.bus.deadLetterDepth('ingestion')).resolves.toBe(0);
    } finally {
      await h.close();
    }
  }, 60_000);
});
