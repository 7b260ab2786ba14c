import { recordFigures, percentile } from '../support/figures';
import { mapLimit, sleep } from '../support/http';
import type { Tenant } from '../support/rig';
import type { Define } from '../support/define';
import { SIZES } from '../support/sizes';

const TIER_MIX = ['free', 'standard', 'premium'];
const QUESTIONS = [
  'When does the harbour open?',
  'When do the ships leave?',
  'What do the ships bring back?',
  'Where does the cargo come from?',
];

/** Many tenants asking at once: no errors but the tiers' 429s; latency percentiles. */
export function describeLoad(define: Define): void {
  define(
    'serves many tenants chatting at once with no errors beyond the tier limits',
    async (rig) => {
      const n = SIZES.loadTenants;
      const tenants = await mapLimit(
        Array.from({ length: n }, (_, i) => i),
        8,
        async (i) => {
          const tenant = await rig.newTenant(`load${i}`, TIER_MIX[i % TIER_MIX.length]);
          const projectId = await tenant.createProject('Load');
          await tenant.uploadText(
            projectId,
            'harbour.txt',
            'The harbour opens at six in the morning. Ships leave before noon and return with cargo ' +
              `from the northern islands. Tenant ${i} keeps its own notes here.\n`,
          );
          const chat = await tenant.startChat(projectId);
          return { tenant, chatId: chat.id };
        },
      );
      for (const { tenant, chatId } of tenants) {
        expect((await tenant.waitChat(chatId, 120_000)).status).toBe('ready');
      }

      const latencies: number[] = [];
      const errors: string[] = [];
      let limited = 0;
      const started = Date.now();
      const end = started + SIZES.loadSeconds * 1000;
      const ask = async ({ tenant, chatId }: { tenant: Tenant; chatId: string }, i: number) => {
        for (let k = 0; Date.now() < end && k < 100_000; k += 1) {
          try {
            const reply = await tenant.api(
              'POST',
              `/v1/chats/${chatId}/messages`,
              { question: QUESTIONS[(i + k) % QUESTIONS.length] },
              { timeoutMs: 30_000 },
            );
            if (reply.status === 200) latencies.push(reply.ms);
            else if (reply.status === 429) {
              limited += 1;
              // A well-behaved client waits as told, within the run.
              const wait = Number(reply.headers.get('retry-after') ?? 1) * 1000;
              await sleep(Math.max(0, Math.min(wait, end - Date.now())));
            } else errors.push(`${reply.status} ${reply.text.slice(0, 200)}`);
          } catch (error) {
            errors.push((error as Error).message);
          }
        }
      };
      await Promise.all(tenants.map((t, i) => ask(t, i)));
      const seconds = (Date.now() - started) / 1000;
      const round = (ms: number) => Math.round(ms);
      recordFigures(rig.mode, 'load', {
        tenants: n,
        'tiers (round robin)': TIER_MIX.join(', '),
        seconds: Math.round(seconds),
        'answered (200)': latencies.length,
        'refused by the tier limit (429)': limited,
        errors: errors.length,
        'answers per second': Math.round((latencies.length / seconds) * 10) / 10,
        'p50 latency (ms)': round(percentile(latencies, 50)),
        'p95 latency (ms)': round(percentile(latencies, 95)),
        'p99 latency (ms)': round(percentile(latencies, 99)),
      });
      expect(errors.slice(0, 10)).toEqual([]);
      expect(latencies.length).toBeGreaterThan(0);
    },
    600_000,
  );
}
