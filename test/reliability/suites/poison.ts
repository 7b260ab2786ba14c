import { randomUUID } from 'node:crypto';
import {
  createEvent,
  DEAD_LETTER_GAUGE,
  MAX_RECEIVE_COUNT,
  type EventEnvelope,
} from '@jitkb/shared';
import { recordFigures } from '../support/figures';
import { send, sleep, waitFor } from '../support/http';
import type { Define } from '../support/define';
import { SIZES } from '../support/sizes';

/** The value of the dead-letter gauge for a consumer in a Prometheus text exposition. */
function deadLetterGauge(exposition: string, consumer: string): number | undefined {
  const line = exposition
    .split('\n')
    .find((l) => l.startsWith(`${DEAD_LETTER_GAUGE}{`) && l.includes(`consumer="${consumer}"`));
  return line === undefined ? undefined : Number(line.split(' ').pop());
}

/**
 * A message whose handler always fails: on the project queue, taken over from the project service
 * (stopped meanwhile) by a consumer in the test process with the real bus adapter.
 */
export function describePoison(define: Define): void {
  define(
    'dead-letters a poison message after five receives while the others get through',
    async (rig) => {
      const { bus } = rig.adapters;
      await rig.kill('project');
      const baseline = await bus.deadLetterDepth('project');
      const tenantId = `poison-${Date.now().toString(36)}`;
      const event = (reason: string): EventEnvelope =>
        createEvent('file.ingest-failed', tenantId, {
          projectId: randomUUID(),
          fileId: randomUUID(),
          reason,
        });
      const poison = event('poison');
      const early = Array.from({ length: Math.ceil(SIZES.poisonGood / 2) }, () => event('good'));
      const late = Array.from({ length: Math.floor(SIZES.poisonGood / 2) }, () => event('good'));
      const goodIds = new Set([...early, ...late].map((e) => e.id));
      const receives: Array<{ count: number; at: number }> = [];
      const handled = new Map<string, number>();

      // A long poll of the killed service may still be waiting on the queue's server (moto keeps
      // it until it times out) and would take the next message with it: feed it something else.
      for (let i = 0; i < 10; i += 1) await bus.publish(event('flush'));
      if (rig.mode === 'aws') await sleep(1500);

      const consumption = bus.consume({
        consumer: 'project',
        visibilityTimeoutSeconds: 1,
        waitTimeSeconds: 1,
        batchSize: 5,
        handler: async ({ event: received, receiveCount }) => {
          if (received.id === poison.id) {
            receives.push({ count: receiveCount, at: Date.now() });
            throw new Error('this handler always fails');
          }
          if (goodIds.has(received.id)) handled.set(received.id, Date.now());
        },
      });
      let deadLettered = 0;
      try {
        for (const e of [...early.slice(0, 1), poison, ...early.slice(1)]) await bus.publish(e);
        await waitFor(
          'the poison message to fail once',
          async () => receives.length > 0 || undefined,
          {
            timeoutMs: 30_000,
          },
        );
        // Published while the poison message is being retried: they must not wait for it.
        for (const e of late) await bus.publish(e);
        deadLettered = await waitFor(
          'the poison message in the dead-letter queue',
          async () => {
            const depth = await bus.deadLetterDepth('project');
            return depth > baseline ? depth - baseline : undefined;
          },
          { timeoutMs: 60_000, intervalMs: 250 },
        );
        await waitFor(
          'every good message',
          async () => handled.size === early.length + late.length || undefined,
          {
            timeoutMs: 30_000,
          },
        );
      } finally {
        await consumption.stop();
        await rig.revive('project');
      }
      const fifth =
        receives.find((r) => r.count === MAX_RECEIVE_COUNT)?.at ?? Number.POSITIVE_INFINITY;
      const lateBeforeFifth = late.filter(
        (e) => (handled.get(e.id) ?? Number.POSITIVE_INFINITY) < fifth,
      );
      const metrics = await send(`${rig.system.services.project}/metrics`, {
        headers: { accept: 'text/plain' },
      });
      const gauge = deadLetterGauge(metrics.text, 'project');
      recordFigures(rig.mode, 'poison message', {
        'receives of the poison message': receives.length,
        'dead-lettered': deadLettered,
        'good messages': early.length + late.length,
        'good messages handled': handled.size,
        'published mid-retry and handled before the 5th receive': `${lateBeforeFifth.length}/${late.length}`,
        'dead-letter gauge on project /metrics': gauge ?? 'absent',
      });
      expect(receives.map((r) => r.count)).toEqual([1, 2, 3, 4, 5]);
      expect(deadLettered).toBe(1);
      expect(handled.size).toBe(early.length + late.length);
      expect(lateBeforeFifth).toHaveLength(late.length);
      expect(gauge).toBe(baseline + 1);
    },
    120_000,
  );
}
