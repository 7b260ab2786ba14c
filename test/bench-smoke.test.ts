/**
 * `npm run bench:smoke`: every benchmark at tiny sizes, so that the bench cannot rot. It must
 * finish, write the report with each section and chart, and fail no benchmark.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { REPO_ROOT } from '@jitkb/shared/testing';

const SECTIONS = ['quality', 'latency', 'readiness', 'economics', 'gateway'];
const TIMEOUT_MS = 240_000;

function runSmoke(outDir: string): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('npm', ['run', '--silent', 'bench:smoke', '--', '--out', outDir], {
      cwd: REPO_ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    let output = '';
    child.stdout.on('data', (data: Buffer) => (output += data.toString()));
    child.stderr.on('data', (data: Buffer) => (output += data.toString()));
    const timer = setTimeout(() => {
      if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
    }, TIMEOUT_MS - 10_000);
    child.once('error', reject);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

describe('npm run bench:smoke', () => {
  let outDir: string;

  beforeAll(() => {
    outDir = mkdtempSync(path.join(tmpdir(), 'jitkb-bench-smoke-test-'));
  });

  afterAll(() => {
    rmSync(outDir, { recursive: true, force: true });
  });

  it(
    'runs every benchmark at tiny sizes and writes the report with its charts',
    async () => {
      const { code, output } = await runSmoke(outDir);
      expect({ code, tail: code === 0 ? '' : output.slice(-4000) }).toEqual({ code: 0, tail: '' });

      const results = JSON.parse(
        readFileSync(path.join(outDir, 'benchmarks', 'results.json'), 'utf8'),
      ) as { failures: string[]; sections: Array<{ id: string; targets: unknown[] }> };
      expect(results.failures).toEqual([]);
      expect(results.sections.map((s) => s.id)).toEqual(SECTIONS);
      for (const section of results.sections) expect(section.targets.length).toBeGreaterThan(0);

      const report = readFileSync(path.join(outDir, 'benchmarks.md'), 'utf8');
      expect(report).toContain('## Targets');
      for (const chart of report.matchAll(/\]\((benchmarks\/[^)]+\.svg)\)/g)) {
        const file = path.join(outDir, chart[1]!);
        expect(existsSync(file)).toBe(true);
        expect(readFileSync(file, 'utf8')).toMatch(/^<svg /);
      }
    },
    TIMEOUT_MS,
  );
});
