import type { FileView } from '@jitkb/shared';
import { chunkText } from '../../../services/ingestion/src/domain/chunk';
import { documentText, vocabulary } from '../support/documents';
import { recordFigures } from '../support/figures';
import { isProblem, mapLimit, sleep, waitFor, type Reply } from '../support/http';
import { VISIBILITY_SECONDS, type Rig, type Tenant } from '../support/rig';
import type { Define } from '../support/define';
import { SIZES } from '../support/sizes';

interface Corpus {
  tenant: Tenant;
  projectId: string;
  files: Array<{ id: string; text: string }>;
  chatIds: string[];
}

async function listFiles(tenant: Tenant, projectId: string): Promise<FileView[]> {
  const reply = await tenant.api('GET', `/v1/projects/${projectId}/files`);
  if (reply.status !== 200) throw new Error(`list files: ${reply.status} ${reply.text}`);
  return (reply.body as { items: FileView[] }).items;
}

async function countStatus(corpus: Corpus): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (const file of await listFiles(corpus.tenant, corpus.projectId)) {
    counts[file.status] = (counts[file.status] ?? 0) + 1;
  }
  return counts;
}

/** Files whose chunk count differs from what one ingestion of their text gives. */
async function chunkMismatches(rig: Rig, corpus: Corpus) {
  const duplicated: string[] = [];
  const missing: string[] = [];
  let chunks = 0;
  for (const file of corpus.files) {
    const expected = chunkText(file.text).length;
    const stored = await rig.kb.countChunks(file.id);
    const record = await rig.kbFiles.get(file.id);
    chunks += stored;
    if (stored > expected || (record && record.chunks !== expected)) duplicated.push(file.id);
    if (stored < expected || !record) missing.push(file.id);
  }
  return { duplicated, missing, chunks };
}

/** Kill -9 of the ingestion worker, the gateway and the janitor in the middle of their work. */
export function describeFaults(define: Define): void {
  // The ingestion fault's files serve the gateway and janitor faults too, per system.
  const corpora = new Map<Rig, Corpus>();
  const getCorpus = (rig: Rig) => {
    const corpus = corpora.get(rig);
    if (!corpus) throw new Error('the ingestion fault did not prepare its files');
    return corpus;
  };

  define(
    'ingests every queued file exactly once across a kill -9 of the ingestion worker',
    async (rig) => {
      const tenant = await rig.newTenant('faults');
      const projectId = await tenant.createProject('Faults');
      const words = vocabulary('fa', 200, 7);
      const n = SIZES.ingestionFiles;
      const texts = Array.from({ length: n }, (_, i) =>
        documentText(words, i, 500 + (i % 3) * 400),
      );
      const ids = await mapLimit(texts, 8, (text, i) =>
        tenant.uploadText(projectId, `doc-${i}.txt`, text),
      );
      const files = ids.map((id, i) => ({ id, text: texts[i] ?? '' }));
      const corpus: Corpus = { tenant, projectId, files, chatIds: [] };
      corpora.set(rig, corpus);

      // Several chats, so that several messages are queued and in flight at once.
      for (let i = 0; i < n; i += SIZES.filesPerChat) {
        const chat = await tenant.startChat(projectId, ids.slice(i, i + SIZES.filesPerChat));
        corpus.chatIds.push(chat.id);
      }
      const threshold = Math.max(1, Math.floor(n / 10));
      await waitFor(
        'the first files to be ready',
        async () => ((await countStatus(corpus)).ready ?? 0) >= threshold || undefined,
        { timeoutMs: 120_000, intervalMs: 25 },
      );
      await rig.kill('ingestion');
      const atKill = await countStatus(corpus);
      const readyAtKill = atKill.ready ?? 0;
      // Something was still queued or in flight when the worker died.
      expect(readyAtKill).toBeLessThan(n);

      const restarted = Date.now();
      await rig.revive('ingestion');
      const final = await waitFor(
        'every file to be ready',
        async () => {
          const counts = await countStatus(corpus);
          if ((counts.failed ?? 0) > 0) return counts;
          return (counts.ready ?? 0) === n ? counts : undefined;
        },
        { timeoutMs: 120_000 + n * 500, intervalMs: 250 },
      );
      const recoveryMs = Date.now() - restarted;
      for (const chatId of corpus.chatIds) {
        expect((await tenant.waitChat(chatId, 30_000)).status).toBe('ready');
      }
      const { duplicated, missing, chunks } = await chunkMismatches(rig, corpus);
      const deadLetters = await rig.adapters.bus.deadLetterDepth('ingestion');
      recordFigures(rig.mode, 'fault: ingestion kill -9', {
        'files queued': n,
        'queue messages (chats)': corpus.chatIds.length,
        'ready when killed': readyAtKill,
        'not yet ready when killed': n - readyAtKill,
        'ready after restart': final.ready ?? 0,
        'failed after restart': final.failed ?? 0,
        'chunks stored': chunks,
        'files with duplicate chunks': duplicated.length,
        'files with missing chunks': missing.length,
        'dead-lettered messages': deadLetters,
        'restart to all ready (ms)': recoveryMs,
      });
      expect(final).toEqual({ ready: n });
      expect({ duplicated, missing, deadLetters }).toEqual({
        duplicated: [],
        missing: [],
        deadLetters: 0,
      });
    },
    600_000,
  );

  define(
    'fails requests cleanly while the gateway is down and serves them all after its restart',
    async (rig) => {
      const { tenant, projectId, files } = getCorpus(rig);
      // A chat of its own per client, as each user has: questions on one chat take turns.
      const chatIds = await mapLimit(
        Array.from({ length: SIZES.gatewayClients }),
        4,
        async () => (await tenant.startChat(projectId, [files[0]?.id ?? ''])).id,
      );
      await mapLimit(chatIds, 4, (chatId) => tenant.waitChat(chatId, 60_000));
      interface Outcome {
        start: number;
        end: number;
        kind: 'ok' | 'clean' | 'unclean';
        detail: string;
      }
      const outcomes: Outcome[] = [];
      const timeoutMs = 15_000;
      const operations: Array<(chatId: string) => Promise<Reply>> = [
        () => tenant.api('GET', '/v1/projects', undefined, { timeoutMs }),
        () => tenant.api('GET', `/v1/projects/${projectId}`, undefined, { timeoutMs }),
        (chatId) =>
          tenant.api(
            'POST',
            `/v1/chats/${chatId}/messages`,
            { question: 'When do ships leave?' },
            { timeoutMs },
          ),
      ];
      const phases = SIZES.gatewayPhasesMs;
      let stopping = false;
      const client = async (index: number) => {
        for (let i = 0; !stopping && i < 100_000; i += 1) {
          const start = Date.now();
          const op = operations[(index + i) % operations.length]!;
          const chatId = chatIds[index] ?? '';
          try {
            const reply = await op(chatId);
            const ok = reply.status < 300;
            const cleanError = (reply.status === 502 || reply.status === 503) && isProblem(reply);
            outcomes.push({
              start,
              end: Date.now(),
              kind: ok ? 'ok' : cleanError ? 'clean' : 'unclean',
              detail: `${reply.status}`,
            });
          } catch (error) {
            const cause = (error as { cause?: { code?: string } }).cause;
            const code = cause?.code ?? (error as Error).name;
            const clean = ['ECONNREFUSED', 'ECONNRESET', 'UND_ERR_SOCKET', 'EPIPE'].includes(code);
            outcomes.push({
              start,
              end: Date.now(),
              kind: clean ? 'clean' : 'unclean',
              detail: code,
            });
            // A refused connection comes back at once: do not spin.
            await sleep(20);
          }
        }
      };
      const clients = Array.from({ length: SIZES.gatewayClients }, (_, i) => client(i));
      let killedAt = 0;
      let backAt = 0;
      try {
        await sleep(phases.before);
        killedAt = Date.now();
        await rig.kill('gateway');
        await sleep(phases.outage);
        await rig.revive('gateway');
        backAt = Date.now();
        await sleep(phases.after);
      } finally {
        stopping = true;
        await Promise.all(clients);
      }
      const before = outcomes.filter((o) => o.end < killedAt);
      const after = outcomes.filter((o) => o.start >= backAt);
      const during = outcomes.filter((o) => o.end >= killedAt && o.start < backAt);
      const summary = (list: Outcome[]) => ({
        ok: list.filter((o) => o.kind === 'ok').length,
        clean: list.filter((o) => o.kind === 'clean').length,
        unclean: list.filter((o) => o.kind === 'unclean').map((o) => o.detail),
      });
      const slowestFailureMs = Math.max(
        0,
        ...during.filter((o) => o.kind !== 'ok').map((o) => o.end - o.start),
      );
      recordFigures(rig.mode, 'fault: gateway kill -9', {
        clients: SIZES.gatewayClients,
        'requests before the kill (ok)': summary(before).ok,
        'requests overlapping the outage': during.length,
        'of which answered (in flight at the kill)': summary(during).ok,
        'of which failed cleanly': summary(during).clean,
        'slowest failure (ms)': slowestFailureMs,
        'outage: kill to healthy (ms)': backAt - killedAt,
        'requests after the restart': after.length,
        'failed after the restart': after.length - summary(after).ok,
        'unclean answers':
          summary(during).unclean.length +
          summary(before).unclean.length +
          summary(after).unclean.length,
      });
      expect(summary(before)).toEqual({ ok: before.length, clean: 0, unclean: [] });
      expect(summary(during).unclean).toEqual([]);
      expect(during.length).toBeGreaterThan(0);
      expect(after.length).toBeGreaterThan(0);
      expect(summary(after)).toEqual({ ok: after.length, clean: 0, unclean: [] });
    },
    120_000,
  );

  define(
    'removes every deleted file from the knowledge base across a kill -9 of the janitor',
    async (rig) => {
      const c = getCorpus(rig);
      const n = c.files.length;
      const removed = async () => {
        let count = 0;
        for (const file of c.files) if ((await rig.kb.countChunks(file.id)) === 0) count += 1;
        return count;
      };
      expect(await removed()).toBe(0);

      const deletions = mapLimit(c.files, 8, (file) =>
        c.tenant.api('DELETE', `/v1/projects/${c.projectId}/files/${file.id}`),
      );
      let removedAtKill = 0;
      try {
        await waitFor(
          'the janitor to start removing',
          async () => (await removed()) > 0 || undefined,
          {
            timeoutMs: 60_000,
            intervalMs: 5,
          },
        );
        await rig.kill('janitor');
        removedAtKill = await removed();
      } finally {
        // Every deletion is accepted, whether the janitor is up or not.
        const replies = await deletions;
        expect(replies.map((r) => r.status)).toEqual(c.files.map(() => 204));
      }
      expect(removedAtKill).toBeLessThan(n);

      const restarted = Date.now();
      await rig.revive('janitor');
      await waitFor(
        'every file to leave the knowledge base',
        async () => ((await removed()) === n ? true : undefined),
        {
          timeoutMs: 60_000 + VISIBILITY_SECONDS * 2000 + n * 200,
          intervalMs: 200,
        },
      );
      const recoveryMs = Date.now() - restarted;
      const records = (await Promise.all(c.files.map((f) => rig.kbFiles.get(f.id)))).filter(
        Boolean,
      );
      const listed = await listFiles(c.tenant, c.projectId);
      const deadLetters = await rig.adapters.bus.deadLetterDepth('janitor');
      // The project itself goes too, through project.deleted.
      const deleted = await c.tenant.api('DELETE', `/v1/projects/${c.projectId}`);
      const gone = await c.tenant.api('GET', `/v1/projects/${c.projectId}`);
      recordFigures(rig.mode, 'fault: janitor kill -9', {
        'files deleted': n,
        'removed from the knowledge base when killed': removedAtKill,
        'removed after restart': await removed(),
        'kb-files records left': records.length,
        'files still listed': listed.length,
        'dead-lettered messages': deadLetters,
        'restart to all removed (ms)': recoveryMs,
      });
      expect({ records: records.length, listed: listed.length, deadLetters }).toEqual({
        records: 0,
        listed: 0,
        deadLetters: 0,
      });
      expect(deleted.status).toBe(204);
      expect(gone.status).toBe(404);
    },
    300_000,
  );
}
