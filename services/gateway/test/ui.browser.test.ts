/**
 * The web UI and the `jitkb` CLI against the whole system: the five services as processes on the
 * embedded adapters (test/e2e/system.ts), the UI driven in Debian's Chromium with playwright-core
 * (no browser download), the CLI run as a user runs it. Screenshots go to test-results/ui/.
 */
import { execFile, execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { startSystem, type System } from '../../../test/e2e/system';

const ROOT = path.resolve(__dirname, '../../..');
const SHOTS = path.join(ROOT, 'test-results/ui');
const FIXTURES = path.join(ROOT, 'services/ingestion/test/fixtures');
const CHROMIUM = '/usr/bin/chromium';

/** `trial` allows one question a minute, so that the second question shows the 429 message. */
const TIERS = JSON.stringify({
  free: {
    maxFilesPerProject: 5,
    ttlSeconds: 3600,
    maxFileBytes: 10_000_000,
    queriesPerMinute: 10,
    ingestJobsPerMinute: 60,
  },
  trial: {
    maxFilesPerProject: 5,
    ttlSeconds: 3600,
    maxFileBytes: 10_000_000,
    queriesPerMinute: 1,
    ingestJobsPerMinute: 60,
  },
});

const run = promisify(execFile);

let system: System | undefined;
let browser: Browser | undefined;
let context: BrowserContext;
let page: Page;
const pageErrors: string[] = [];

async function shot(name: string): Promise<void> {
  await page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: true });
}

/** Runs the CLI through its launcher, as `jitkb` would run. */
function jitkb(args: string[]): Promise<{ stdout: string; stderr: string }> {
  return run(process.execPath, [path.join(ROOT, 'bin/jitkb.js'), ...args], {
    cwd: ROOT,
    env: { ...process.env, JITKB_URL: system?.url ?? '', JITKB_TOKEN: '' },
    timeout: 45_000,
  });
}

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: run scripts/setup-system.sh`);
  mkdirSync(SHOTS, { recursive: true });
  // The page loads the bundle the gateway serves: built from the current sources.
  execFileSync(process.execPath, [path.join(ROOT, 'scripts/build-ui.mjs')]);
  [system, browser] = await Promise.all([
    startSystem({ mode: 'embedded', label: 'ui', env: { TIERS, LOG_LEVEL: 'warn' } }),
    chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
      timeout: 30_000,
    }),
  ]);
  context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  page = await context.newPage();
  page.setDefaultTimeout(15_000);
  page.on('pageerror', (error) => pageErrors.push(error.message));
}, 90_000);

afterAll(async () => {
  // Both always run: a browser that hangs on close must not keep the services alive.
  await Promise.allSettled([browser && within(10_000, browser.close()), system?.stop()]);
}, 30_000);

/** Waits for `work`, at most `ms`. */
async function within(ms: number, work: Promise<void>): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, ms);
  });
  try {
    await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

describe('web UI', () => {
  it('signs in, uploads a pdf and a docx, chats with a streamed, cited answer and opens the source', async () => {
    await page.goto(`${system!.url}/`);
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    await page.getByRole('textbox', { name: 'Tenant' }).fill('acme-ui');
    await page.getByRole('textbox', { name: 'User' }).fill('alice');
    await page.getByLabel('Email (optional)').fill('alice@acme.test');
    await page.getByLabel('Tier').selectOption('trial');
    expect(await page.getByRole('button', { name: 'Sign out' }).isVisible()).toBe(false);
    expect(await page.locator('#workspace').isVisible()).toBe(false);
    await shot('01-sign-in');
    await page.getByRole('button', { name: 'Sign in' }).click();

    await page.getByRole('heading', { name: 'Tenant acme-ui' }).waitFor();
    await expectText('#tenant-details', /Tier\s*trial/);
    await expectText('#tenant-details', /Questions\s*0 of 1 this minute/);
    await page.getByLabel('New project').fill('Handbook');
    await page.getByRole('button', { name: 'Create' }).click();
    await page.getByRole('heading', { name: 'Handbook', level: 2 }).waitFor();
    await shot('02-project');

    await page
      .getByLabel('Files to upload')
      .setInputFiles([path.join(FIXTURES, 'sample.pdf'), path.join(FIXTURES, 'sample.docx')]);
    await page.getByRole('button', { name: 'Upload', exact: true }).click();
    for (const name of ['sample.pdf', 'sample.docx']) {
      await fileRow(name).getByText('Uploaded', { exact: true }).waitFor();
    }
    expect(await page.locator('#upload-progress li.done progress').count()).toBe(2);
    const bars = page.locator('#upload-progress progress');
    const values = await Promise.all([0, 1].map((i) => bars.nth(i).getAttribute('value')));
    expect(values).toEqual(['100', '100']);
    await shot('03-uploaded');

    await page.getByRole('button', { name: 'Start a chat' }).click();
    await page
      .locator('#readiness-summary', { hasText: /^Ready: 2 files/ })
      .waitFor({ timeout: 60_000 });
    expect(await page.locator('#readiness-files li[data-status="ready"]').count()).toBe(2);
    await fileRow('sample.docx').getByText('Ready', { exact: true }).waitFor();
    expect(await fileRow('sample.docx').locator('time').count()).toBe(1);
    await shot('04-chat-ready');

    // Counts pieces of text added to the conversation: more than one means it was streamed. A
    // string, because this file is compiled without the DOM's types.
    await page.evaluate(`(() => {
      const counter = { added: 0 };
      window.streamCounter = counter;
      new MutationObserver((records) => {
        for (const r of records)
          counter.added += [...r.addedNodes].filter((n) => n.nodeType === Node.TEXT_NODE).length;
      }).observe(document.getElementById('conversation'), { childList: true, subtree: true });
    })()`);
    await page.getByLabel('Question').fill('How much are hotel costs refunded per night?');
    await page.getByRole('button', { name: 'Ask' }).click();
    const answer = page.locator('.message.assistant').last();
    const source = answer.locator('details.source', { hasText: 'sample.docx' });
    await source.waitFor();
    expect(await answer.locator('.text').textContent()).toContain('150 euros');
    expect(await page.evaluate('window.streamCounter.added')).toBeGreaterThan(2);
    expect(await answer.locator('.text').getAttribute('aria-busy')).toBeNull();
    await shot('05-answer');

    const excerpt = source.locator('blockquote');
    expect(await excerpt.isVisible()).toBe(false);
    await source.locator('summary').click();
    await excerpt.waitFor({ state: 'visible' });
    expect(await excerpt.textContent()).toContain('Hotel costs are refunded');
    await shot('06-source-open');

    // The trial tier allows one question a minute: the second shows when to try again.
    await page.getByLabel('Question').fill('Which class do employees book for short flights?');
    await page.getByRole('button', { name: 'Ask' }).click();
    await page
      .getByRole('alert')
      .filter({ hasText: /Try again in \d+ seconds?\./ })
      .waitFor();
    expect(await page.getByRole('alert').textContent()).toContain(
      'the trial tier allows 1 questions a minute',
    );
    expect(await page.locator('.message.user').count()).toBe(1);
    expect(await page.getByLabel('Question').inputValue()).toContain('Which class');
    await shot('07-rate-limited');
    expect(pageErrors).toEqual([]);
  }, 90_000);

  it('refuses an unsupported file before anything is uploaded, naming the supported types', async () => {
    const before = await page.locator('#file-table tbody tr').count();
    await page.getByLabel('Files to upload').setInputFiles({
      name: 'setup.exe',
      mimeType: 'application/octet-stream',
      buffer: Buffer.from('MZ'),
    });
    await page.getByRole('button', { name: 'Upload', exact: true }).click();
    await page.getByRole('alert').filter({ hasText: 'setup.exe: not a supported type' }).waitFor();
    expect(await page.getByRole('alert').textContent()).toContain('.pdf');
    expect(await page.locator('#file-table tbody tr').count()).toBe(before);
    await shot('08-unsupported-file');
  }, 30_000);

  it('deletes a project after confirmation', async () => {
    await page.getByLabel('New project').fill('Scratch');
    await page.getByRole('button', { name: 'Create' }).click();
    await page.getByRole('heading', { name: 'Scratch', level: 2 }).waitFor();
    page.once('dialog', (dialog) => void dialog.accept());
    await page.getByRole('button', { name: 'Delete project Scratch' }).click();
    await page.getByRole('alert').filter({ hasText: 'Project "Scratch" deleted.' }).waitFor();
    await page
      .getByRole('button', { name: 'Delete project Scratch' })
      .waitFor({ state: 'detached' });
    expect(await page.locator('#project').isHidden()).toBe(true);
    expect(await page.getByRole('button', { name: 'Handbook', exact: true }).count()).toBe(1);
  }, 30_000);
});

describe('jitkb CLI', () => {
  let dir: string;

  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'jitkb-cli-'));
    writeFileSync(
      path.join(dir, 'garden.md'),
      '# Garden\n\nTomatoes need six hours of sun a day.\n',
    );
    writeFileSync(path.join(dir, 'pets.txt'), 'The cat is fed twice a day, at seven and at six.\n');
    writeFileSync(path.join(dir, 'setup.exe'), 'MZ');
  });

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('prints a token from the embedded issuer', async () => {
    const { stdout } = await jitkb(['token', '--tenant', 'cli-co', '--user', 'bob']);
    expect(stdout.trim()).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/);
  }, 30_000);

  it('ingests a folder, then answers a question citing the file it came from', async () => {
    const auth = ['--tenant', 'cli-co', '--user', 'bob'];
    const ingested = await jitkb(['ingest', dir, '--project', 'Notes', ...auth]);
    expect(ingested.stderr).toContain('skipping setup.exe: not a supported type');
    expect(ingested.stderr).toContain('created project Notes');
    expect(ingested.stderr).toMatch(/garden\.md uploaded/);
    expect(ingested.stderr).toMatch(/garden\.md: ready/);
    expect(ingested.stdout.trim()).toMatch(/^[\w-]+$/);

    const again = await jitkb(['ingest', dir, '--project', 'Notes', ...auth]);
    expect(again.stderr).toContain('garden.md already uploaded');

    const asked = await jitkb(['ask', 'Notes', 'How many hours of sun do tomatoes need?', ...auth]);
    expect(asked.stdout).toContain('six hours');
    expect(asked.stdout).toMatch(/Sources:\n\s+\[1\] garden\.md/);
  }, 120_000);

  it('exits non-zero with the API detail when the project does not exist', async () => {
    await expect(
      jitkb(['ask', 'Nowhere', 'anything?', '--tenant', 'cli-co', '--user', 'bob']),
    ).rejects.toMatchObject({
      code: 1,
      stderr: expect.stringContaining('jitkb: no project named Nowhere') as unknown,
    });
  }, 30_000);
});

function fileRow(name: string) {
  return page.locator('#file-table tbody tr', { hasText: name });
}

async function expectText(selector: string, pattern: RegExp): Promise<void> {
  await page.locator(selector, { hasText: pattern }).waitFor();
}
