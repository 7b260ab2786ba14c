import { setTimeout as sleep } from 'node:timers/promises';
import { AppError, DeferMessageError } from '../errors/app-error';
import { createEvent, EVENT_TYPES, type EventOf, type EventType } from '../events/events';
import {
  CONSUMERS,
  MAX_RECEIVE_COUNT,
  SUBSCRIPTIONS,
  type ConsumerName,
} from '../events/subscriptions';
import type { ConsumeOptions, Consumption, EventBus, ReceivedEvent } from '../ports/event-bus';

/** What a contract run needs from one adapter family, on resources of its own. */
export interface EventBusHarness {
  bus: EventBus;
  /** Puts a body as it is on one consumer's queue, as a broken or foreign publisher would. */
  sendRaw(consumer: ConsumerName, body: string): Promise<void>;
  /** Messages on a consumer's queue, visible or in flight. */
  queueDepth(consumer: ConsumerName): Promise<number>;
  cleanup(): Promise<void>;
}

/** Short timeouts keep the suite to seconds; both families accept whole seconds only. */
const VISIBILITY_SECONDS = 1;

/** A valid event of any type, for tests that only care about routing. */
export function sampleEvent(type: EventType, tenantId = 'tenant-a'): EventOf<EventType> {
  const file = { projectId: 'p1', fileId: 'f1' };
  switch (type) {
    case 'files.ingest-requested':
      return createEvent(type, tenantId, {
        projectId: 'p1',
        userId: 'u1',
        tier: 'free',
        fileIds: ['f1'],
      });
    case 'file.ingested':
      return createEvent(type, tenantId, {
        ...file,
        chunks: 3,
        expiresAt: new Date().toISOString(),
      });
    case 'file.ingest-failed':
      return createEvent(type, tenantId, { ...file, reason: 'unreadable' });
    case 'file.expired':
      return createEvent(type, tenantId, file);
    case 'project.deleted':
      return createEvent(type, tenantId, { projectId: 'p1' });
  }
}

/** Polls `check` until it holds; fails with `what` after the timeout. */
export async function waitFor(
  what: string,
  check: () => boolean | Promise<boolean>,
  timeoutMs = 10_000,
) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(50);
  }
}

interface Delivery extends ReceivedEvent {
  at: number;
}

/**
 * The behaviour every EventBus adapter must have, as a jest suite: the embedded bus runs it in
 * unit tests and the SNS/SQS bus on the emulator, so both families keep the same semantics.
 */
export function describeEventBus(name: string, make: () => Promise<EventBusHarness>): void {
  describe(`EventBus contract: ${name}`, () => {
    let harness: EventBusHarness;
    let running: Consumption[] = [];

    beforeEach(async () => {
      harness = await make();
      running = [];
    });

    afterEach(async () => {
      await Promise.all(running.map((consumption) => consumption.stop()));
      await harness.cleanup();
    });

    /** Starts a consumer whose deliveries are recorded before its handler runs. */
    function start(
      consumer: ConsumerName,
      handler: (received: ReceivedEvent) => Promise<void> = async () => {},
      options: Partial<ConsumeOptions> = {},
    ): { deliveries: Delivery[]; consumption: Consumption } {
      const deliveries: Delivery[] = [];
      const consumption = harness.bus.consume({
        consumer,
        visibilityTimeoutSeconds: VISIBILITY_SECONDS,
        waitTimeSeconds: 1,
        ...options,
        handler: async (received) => {
          deliveries.push({ ...received, at: Date.now() });
          await handler(received);
        },
      });
      running.push(consumption);
      return { deliveries, consumption };
    }

    it('delivers each event only to the consumers subscribed to its type', async () => {
      const started = CONSUMERS.map((consumer) => ({ consumer, ...start(consumer) }));
      for (const type of EVENT_TYPES) await harness.bus.publish(sampleEvent(type));
      for (const { consumer, deliveries } of started) {
        await waitFor(
          `${consumer}'s events`,
          () => deliveries.length >= SUBSCRIPTIONS[consumer].length,
        );
      }
      await sleep(VISIBILITY_SECONDS * 1500);
      for (const { consumer, deliveries } of started) {
        const types = deliveries.map((d) => d.event.type).sort();
        expect({ consumer, types }).toEqual({
          consumer,
          types: [...SUBSCRIPTIONS[consumer]].sort(),
        });
      }
    });

    it('acknowledges a handled message so that it never comes back', async () => {
      const { deliveries } = start('janitor');
      const event = sampleEvent('file.expired');
      await harness.bus.publish(event);
      await waitFor('the delivery', () => deliveries.length === 1);
      expect(deliveries[0]).toMatchObject({ event, receiveCount: 1 });
      await sleep(VISIBILITY_SECONDS * 2500);
      expect(deliveries).toHaveLength(1);
      expect(await harness.queueDepth('janitor')).toBe(0);
    });

    it('gives a failed message back after the visibility timeout with the receive count raised', async () => {
      const { deliveries } = start('janitor', async ({ receiveCount }) => {
        if (receiveCount === 1) throw new Error('transient failure');
      });
      await harness.bus.publish(sampleEvent('file.expired'));
      await waitFor('the second delivery', () => deliveries.length === 2);
      expect(deliveries.map((d) => d.receiveCount)).toEqual([1, 2]);
      const gap = (deliveries[1]?.at ?? 0) - (deliveries[0]?.at ?? 0);
      expect(gap).toBeGreaterThanOrEqual(VISIBILITY_SECONDS * 1000 - 100);
      await waitFor('the acknowledgement', async () => (await harness.queueDepth('janitor')) === 0);
    });

    it('dead-letters a message after 5 failed receives and keeps handling other messages', async () => {
      const poison = sampleEvent('file.expired');
      const { deliveries } = start('janitor', async ({ event }) => {
        if (event.id === poison.id) throw new Error('always fails');
      });
      await harness.bus.publish(poison);
      await waitFor(
        'the dead letter',
        async () => (await harness.bus.deadLetterDepth('janitor')) === 1,
        30_000,
      );
      const poisonCounts = deliveries
        .filter((d) => d.event.id === poison.id)
        .map((d) => d.receiveCount);
      expect(poisonCounts).toEqual([1, 2, 3, 4, 5].slice(0, MAX_RECEIVE_COUNT));
      expect(await harness.bus.deadLetterDepth('chat')).toBe(0);

      const next = sampleEvent('project.deleted');
      await harness.bus.publish(next);
      await waitFor('the next event', () => deliveries.some((d) => d.event.id === next.id));
      expect(await harness.bus.deadLetterDepth('janitor')).toBe(1);
    }, 45_000);

    it('puts a deferred message back after its delay, not after the visibility timeout', async () => {
      const delaySeconds = 3;
      const { deliveries } = start('ingestion', async ({ receiveCount }) => {
        if (receiveCount === 1) throw new DeferMessageError(delaySeconds, 'rate limited');
      });
      await harness.bus.publish(sampleEvent('files.ingest-requested'));
      await waitFor('the second delivery', () => deliveries.length === 2, 15_000);
      const gap = (deliveries[1]?.at ?? 0) - (deliveries[0]?.at ?? 0);
      expect(gap).toBeGreaterThanOrEqual(delaySeconds * 1000 - 300);
      expect(deliveries[1]?.receiveCount).toBe(2);
    });

    it('acknowledges a body that is not a valid event without calling the handler', async () => {
      const { deliveries } = start('janitor');
      await harness.sendRaw('janitor', 'not json {');
      await harness.sendRaw('janitor', JSON.stringify({ type: 'file.expired', data: {} }));
      const valid = sampleEvent('file.expired');
      await harness.bus.publish(valid);
      await waitFor('the valid event', () => deliveries.length === 1);
      // Unacknowledged, the broken bodies would stay on the queue until their fifth receive.
      await waitFor(
        'an empty queue',
        async () => (await harness.queueDepth('janitor')) === 0,
        4_000,
      );
      expect(deliveries.map((d) => d.event.id)).toEqual([valid.id]);
      expect(await harness.bus.deadLetterDepth('janitor')).toBe(0);
    });

    it('acknowledges an event its handler rejects as invalid input', async () => {
      const { deliveries } = start('janitor', async () => {
        throw AppError.invalid('no such project');
      });
      await harness.bus.publish(sampleEvent('project.deleted'));
      await waitFor('the delivery', () => deliveries.length === 1);
      await waitFor(
        'an empty queue',
        async () => (await harness.queueDepth('janitor')) === 0,
        4_000,
      );
      await sleep(VISIBILITY_SECONDS * 1500);
      expect(deliveries).toHaveLength(1);
    });

    it('refuses to publish an invalid event', async () => {
      const broken = { ...sampleEvent('file.expired'), data: { projectId: 'p1' } };
      await expect(harness.bus.publish(broken as never)).rejects.toMatchObject({
        code: 'invalid_input',
      });
    });

    it('carries the correlation id from the publisher to the handler', async () => {
      const { deliveries } = start('janitor');
      const correlated = sampleEvent('file.expired');
      await harness.bus.publish(correlated, { correlationId: 'corr-123' });
      const plain = sampleEvent('project.deleted');
      await harness.bus.publish(plain);
      await waitFor('both deliveries', () => deliveries.length === 2);
      const byId = new Map(deliveries.map((d) => [d.event.id, d.correlationId]));
      expect(byId.get(correlated.id)).toBe('corr-123');
      expect(byId.get(plain.id)).toBeUndefined();
    });

    it('stop() resolves only after the handler in flight has finished and acknowledged', async () => {
      let finished = false;
      const { deliveries, consumption } = start('janitor', async () => {
        // Longer than the visibility timeout: the heartbeat must keep the message hidden.
        await sleep(VISIBILITY_SECONDS * 1500);
        finished = true;
      });
      await harness.bus.publish(sampleEvent('file.expired'));
      await waitFor('the delivery', () => deliveries.length === 1);
      const stopping = consumption.stop();
      expect(consumption.running).toBe(false);
      await stopping;
      expect(finished).toBe(true);
      expect(await harness.queueDepth('janitor')).toBe(0);
      expect(deliveries).toHaveLength(1);
    });

    it('keeps a message hidden from other receivers while a long handler runs', async () => {
      const slow = async () => sleep(VISIBILITY_SECONDS * 3500);
      const first = start('janitor', slow);
      const second = start('janitor', slow);
      await harness.bus.publish(sampleEvent('file.expired'));
      await waitFor('the delivery', () => first.deliveries.length + second.deliveries.length > 0);
      await waitFor(
        'the acknowledgement',
        async () => (await harness.queueDepth('janitor')) === 0,
        10_000,
      );
      const all = [...first.deliveries, ...second.deliveries];
      expect(all.map((d) => d.receiveCount)).toEqual([1]);
    });

    it('hands each message to one receiver at a time', async () => {
      const handler = async () => sleep(100);
      const receivers = [start('chat', handler), start('chat', handler), start('chat', handler)];
      const events = Array.from({ length: 12 }, () => sampleEvent('file.ingested'));
      for (const event of events) await harness.bus.publish(event);
      const received = () => receivers.flatMap((r) => r.deliveries.map((d) => d.event.id));
      await waitFor('all events', () => received().length >= events.length, 15_000);
      await sleep(VISIBILITY_SECONDS * 1500);
      expect(received().sort()).toEqual(events.map((e) => e.id).sort());
    });
  });
}
