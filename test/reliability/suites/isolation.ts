import fc from 'fast-check';
import type { AnswerView } from '@jitkb/shared';
import { documentText, vocabulary } from '../support/documents';
import { percentile, recordFigures } from '../support/figures';
import { isProblem, mapLimit, send } from '../support/http';
import { operationsOf, type OpenApiDocument } from '../support/openapi-fuzz';
import { settledSnapshot, type Rig, type Tenant } from '../support/rig';
import type { Define } from '../support/define';
import { SIZES } from '../support/sizes';

interface World {
  tenant: Tenant;
  projectId: string;
  fileIds: string[];
  chatId: string;
  words: string[];
  texts: string[];
}

async function populate(rig: Rig, label: string, prefix: string, seed: number): Promise<World> {
  const tenant = await rig.newTenant(label);
  const projectId = await tenant.createProject(`${label} project`);
  const words = vocabulary(prefix, 60, seed);
  const texts = [0, 1, 2].map((i) => documentText(words, seed * 10 + i, 900));
  const fileIds: string[] = [];
  for (const [i, text] of texts.entries()) {
    fileIds.push(await tenant.uploadText(projectId, `${label}-${i}.txt`, text));
  }
  const chat = await tenant.startChat(projectId);
  expect((await tenant.waitChat(chat.id, 60_000)).status).toBe('ready');
  return { tenant, projectId, fileIds, chatId: chat.id, words, texts };
}

/** Tenant B with tenant A's ids on every route, and B's questions made of A's words. */
export function describeIsolation(define: Define): void {
  // Tenants A and B, prepared once per system by whichever check runs first.
  const prepared = new Map<Rig, Promise<{ a: World; b: World }>>();
  const worlds = (rig: Rig) => {
    let worldsOfRig = prepared.get(rig);
    if (!worldsOfRig) {
      worldsOfRig = (async () => {
        // Made-up words with prefixes of their own: any of A's words in B's answers is a leak.
        const a = await populate(rig, 'iso-a', 'zor', 11);
        const b = await populate(rig, 'iso-b', 'mib', 23);
        const asked = await a.tenant.api('POST', `/v1/chats/${a.chatId}/messages`, {
          question: `What is ${a.words[0]}?`,
        });
        expect(asked.status).toBe(200);
        return { a, b };
      })();
      prepared.set(rig, worldsOfRig);
    }
    return worldsOfRig;
  };

  define(
    "answers 404 to tenant B on every route that names tenant A's resources",
    async (rig) => {
      const { a, b } = await worlds(rig);
      const before = await settledSnapshot(a.tenant, [a.chatId]);
      const doc = (await send(`${rig.system.url}/v1/openapi.json`)).body as OpenApiDocument;
      const bodies: Record<string, unknown> = {
        'POST /v1/projects/{id}/files': { name: 'x.txt', contentType: 'text/plain', size: 10 },
        'POST /v1/projects/{id}/chats': {},
        'POST /v1/chats/{chatId}/messages': { question: `What is ${a.words[1]}?` },
      };
      const attempts: Array<{ label: string; method: string; path: string; json?: unknown }> = [];
      const aIds: Record<string, string> = {
        id: a.projectId,
        fileId: a.fileIds[0]!,
        chatId: a.chatId,
      };
      for (const op of operationsOf(doc).filter((o) => o.params.length > 0)) {
        const key = `${op.method} ${op.path}`;
        const fill = (ids: Record<string, string>) =>
          op.path.replace(/\{(\w+)\}/g, (_, n: string) => ids[n] ?? '');
        const json = bodies[key];
        attempts.push({
          label: key,
          method: op.method,
          path: fill(aIds),
          ...(json ? { json } : {}),
        });
        // B's own project with A's file: the file is still A's.
        if (op.params.includes('id') && op.params.includes('fileId')) {
          attempts.push({
            label: `${key} (B's project)`,
            method: op.method,
            path: fill({ ...aIds, id: b.projectId }),
            ...(json ? { json } : {}),
          });
        }
      }
      const wrong: string[] = [];
      for (const attempt of attempts) {
        const reply = await b.tenant.api(attempt.method, attempt.path, attempt.json);
        if (reply.status !== 404 || !isProblem(reply))
          wrong.push(`${attempt.label}: ${reply.status} ${reply.text.slice(0, 200)}`);
      }
      // Ids in a body: B's chat on B's project naming A's files must not start.
      const crossBody = await b.tenant.api('POST', `/v1/projects/${b.projectId}/chats`, {
        fileIds: a.fileIds,
      });
      if (crossBody.status < 400 || crossBody.status >= 500 || !isProblem(crossBody)) {
        wrong.push(`start a chat on B's project with A's file ids: ${crossBody.status}`);
      }
      const listed = (await b.tenant.api('GET', '/v1/projects')).body as {
        items: Array<{ id: string }>;
      };
      if (listed.items.some((p) => p.id === a.projectId))
        wrong.push("B's project list shows A's project");
      const after = await settledSnapshot(a.tenant, [a.chatId]);
      recordFigures(rig.mode, 'isolation: routes with another tenant ids', {
        'routes with ids in the document': new Set(attempts.map((x) => x.label.split(' (')[0]))
          .size,
        'cross-tenant requests': attempts.length + 1,
        'answered 404 problem+json':
          attempts.length - wrong.filter((w) => !w.startsWith('start a chat')).length,
        "chat on B's project with A's file ids": crossBody.status,
        "A's state changed": JSON.stringify(after) !== JSON.stringify(before),
        wrong: wrong.length,
      });
      expect(wrong).toEqual([]);
      expect(after).toEqual(before);
    },
    120_000,
  );

  define(
    "never retrieves tenant A's chunks for tenant B's questions made of A's words",
    async (rig) => {
      const { a, b } = await worlds(rig);
      const seed = Number(process.env.RELIABILITY_SEED ?? Date.now() % 2 ** 31);
      const sentences = a.texts.flatMap((t) => t.split(/(?<=\.)\s+/)).filter((s) => s.length > 20);
      const templates = [
        'What is {}?',
        'Tell me about {}.',
        '{}',
        'Where does {} come from?',
        'Explain {} in detail',
      ];
      const question = fc.oneof(
        fc
          .tuple(
            fc.subarray(a.words, { minLength: 1, maxLength: 6 }),
            fc.constantFrom(...templates),
          )
          .map(([ws, t]) => t.replace('{}', ws.join(' '))),
        fc.constantFrom(...sentences),
        fc
          .tuple(fc.constantFrom(...sentences), fc.subarray(b.words, { maxLength: 2 }))
          .map(([s, ws]) => `${s} ${ws.join(' ')}`),
      );
      const questions = fc.sample(question, { numRuns: SIZES.isolationProbes, seed });
      const leakWord = /\bzor[a-z]+/i;
      const bFiles = new Set(b.fileIds);
      const leaks: string[] = [];
      const failures: string[] = [];
      let sources = 0;
      let answered = 0;
      const latencies: number[] = [];
      // One chat per worker: questions on one chat are answered one at a time.
      const chats = [b.chatId];
      while (chats.length < 4) chats.push((await b.tenant.startChat(b.projectId)).id);
      await mapLimit(chats, 4, (chatId) => b.tenant.waitChat(chatId, 60_000));
      let next = 0;
      await mapLimit(chats, 4, async (chatId) => {
        while (next < questions.length) await probe(chatId, questions[next++] ?? '');
      });
      async function probe(chatId: string, q: string) {
        const reply = await b.tenant.api('POST', `/v1/chats/${chatId}/messages`, { question: q });
        latencies.push(reply.ms);
        if (reply.status !== 200) {
          failures.push(`${q}: answered ${reply.status} ${reply.text.slice(0, 200)}`);
          return;
        }
        answered += 1;
        const answer = reply.body as AnswerView;
        sources += answer.sources.length;
        for (const source of answer.sources) {
          if (
            !bFiles.has(source.fileId) ||
            leakWord.test(source.excerpt) ||
            leakWord.test(source.fileName)
          ) {
            leaks.push(`${q}: source ${source.fileId} ${source.excerpt.slice(0, 80)}`);
          }
        }
        if (leakWord.test(answer.answer)) leaks.push(`${q}: answer ${answer.answer.slice(0, 120)}`);
      }
      recordFigures(rig.mode, 'isolation: retrievals by B with A words', {
        seed,
        probes: questions.length,
        answered: answered,
        'sources returned (all B)': sources,
        "A's chunks returned": leaks.length,
        'not answered': failures.length,
        'p50 latency (ms)': Math.round(percentile(latencies, 50)),
      });
      expect(leaks.slice(0, 20)).toEqual([]);
      expect(failures.slice(0, 20)).toEqual([]);
    },
    600_000,
  );
}
