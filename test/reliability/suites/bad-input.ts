import fc from 'fast-check';
import { recordFigures } from '../support/figures';
import { isProblem, mapLimit, send, type Reply } from '../support/http';
import {
  invalidRequests,
  operationsOf,
  type FuzzCase,
  type OpenApiDocument,
} from '../support/openapi-fuzz';
import { settledSnapshot, snapshot, type Rig, type Tenant } from '../support/rig';
import type { Define } from '../support/define';
import { SIZES } from '../support/sizes';

/** What is wrong with an answer to an invalid request, or undefined when it is right. */
function violation(reply: Reply): string | undefined {
  if (reply.status < 400 || reply.status >= 500 || [401, 403, 429].includes(reply.status)) {
    return `answered ${reply.status}: ${reply.text.slice(0, 200)}`;
  }
  if (!isProblem(reply)) {
    return `a ${reply.status} that is not problem+json (${reply.headers.get('content-type')}): ${reply.text.slice(0, 200)}`;
  }
  return undefined;
}

const describeCase = (c: FuzzCase) =>
  `${c.flaw}: ${c.method} ${c.path.slice(0, 160)} ${c.contentType ?? ''} ${JSON.stringify(c.json ?? c.raw ?? null).slice(0, 160)}`;

export interface Fixture {
  tenant: Tenant;
  projectId: string;
  fileId: string;
  chatId: string;
}

/** A tenant with a project, a ready file and a ready chat, whose state has settled. */
export async function prepareFixture(rig: Rig, label: string): Promise<Fixture> {
  const tenant = await rig.newTenant(label);
  const projectId = await tenant.createProject('Fuzz target');
  const fileId = await tenant.uploadText(projectId, 'notes.txt', 'The harbour opens at six.\n');
  const chat = await tenant.startChat(projectId);
  expect((await tenant.waitChat(chat.id, 60_000)).status).toBe('ready');
  await settledSnapshot(tenant, [chat.id]);
  return { tenant, projectId, fileId, chatId: chat.id };
}

/** Invalid input on every route of the OpenAPI document. */
export function describeBadInput(define: Define): void {
  define(
    'answers every generated invalid request with a 4xx problem that changes nothing',
    async (rig) => {
      const doc = (await send(`${rig.system.url}/v1/openapi.json`)).body as OpenApiDocument;
      const f = await prepareFixture(rig, 'fuzz');
      const before = await settledSnapshot(f.tenant, [f.chatId]);
      const realIds = { id: f.projectId, fileId: f.fileId, chatId: f.chatId };
      const seed = Number(process.env.RELIABILITY_SEED ?? Date.now() % 2 ** 31);

      const cases: FuzzCase[] = [];
      const withoutInput: string[] = [];
      for (const operation of operationsOf(doc)) {
        const arbitrary = invalidRequests(doc, operation, realIds);
        if (!arbitrary) {
          withoutInput.push(`${operation.method} ${operation.path}`);
          continue;
        }
        cases.push(...fc.sample(arbitrary, { numRuns: SIZES.fuzzRunsPerRoute, seed }));
      }
      const statuses: Record<string, number> = {};
      const violations: string[] = [];
      await mapLimit(cases, 4, async (c) => {
        try {
          const reply = await f.tenant.api(c.method, c.path, c.json, {
            ...(c.raw !== undefined ? { raw: c.raw } : {}),
            ...(c.contentType !== undefined ? { contentType: c.contentType } : {}),
          });
          statuses[reply.status] = (statuses[reply.status] ?? 0) + 1;
          const wrong = violation(reply);
          if (wrong) violations.push(`${describeCase(c)} → ${wrong}`);
        } catch (error) {
          violations.push(`${describeCase(c)} → ${(error as Error).message}`);
        }
      });
      const after = await snapshot(f.tenant, [f.chatId]);
      recordFigures(rig.mode, 'bad input: generated from the OpenAPI document', {
        seed,
        'routes fuzzed': new Set(cases.map((c) => c.operation)).size,
        'routes without input (not fuzzed)': withoutInput.join(', '),
        'invalid requests': cases.length,
        statuses: Object.entries(statuses)
          .map(([status, n]) => `${status}: ${n}`)
          .join(', '),
        '5xx': Object.entries(statuses)
          .filter(([status]) => Number(status) >= 500)
          .reduce((sum, [, n]) => sum + n, 0),
        violations: violations.length,
        'state changed': JSON.stringify(after) !== JSON.stringify(before),
      });
      expect(violations.slice(0, 20)).toEqual([]);
      expect(after).toEqual(before);
    },
    300_000,
  );
}
