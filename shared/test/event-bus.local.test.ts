import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { SqliteEventBus } from '../src/adapters/local/sqlite-event-bus';
import { describeEventBus, sampleEvent, waitFor } from '../src/contracts/event-bus.contract';
import type { ReceivedEvent } from '../src/ports/event-bus';
import { receiveThenCrash } from './fixtures/spawn-crash-consumer';

const log = pino({ level: 'silent' });

describeEventBus('SqliteEventBus', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'jitkb-bus-'));
  const bus = new SqliteEventBus({ path: path.join(dir, 'queue.db'), log, pollIntervalMs: 200 });
  return {
    bus,
    sendRaw: (consumer, body) => bus.sendRaw(consumer, body),
    queueDepth: (consumer) => bus.queueDepth(consumer),
    async cleanup() {
      await bus.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
});

describe('SqliteEventBus across processes', () => {
  it("wakes a consumer on another connection's publish instead of waiting for its poll", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'jitkb-wake-'));
    const file = path.join(dir, 'queue.db');
    // A poll far longer than the test's wait: only the watch on the file can deliver in time.
    const consumer = new SqliteEventBus({ path: file, log, pollIntervalMs: 60_000 });
    const publisher = new SqliteEventBus({ path: file, log });
    try {
      const deliveries: ReceivedEvent[] = [];
      consumer.consume({
        consumer: 'janitor',
        visibilityTimeoutSeconds: 30,
        handler: async (received) => {
          deliveries.push(received);
        },
      });
      // The consumer has polled the empty queue and is asleep.
      await new Promise((resolve) => setTimeout(resolve, 200));
      const event = sampleEvent('file.expired');
      await publisher.publish(event);
      await waitFor('the delivery', () => deliveries.length === 1, 3000);
      expect(deliveries[0]).toMatchObject({ event: { id: event.id }, receiveCount: 1 });
    } finally {
      await consumer.close();
      await publisher.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('gives a message back to a new consumer after the process handling it was killed', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'jitkb-crash-'));
    const file = path.join(dir, 'queue.db');
    const bus = new SqliteEventBus({ path: file, log, pollIntervalMs: 200 });
    try {
      // Published before any consumer process exists: the queue keeps it for the janitor.
      const event = sampleEvent('file.expired');
      await bus.publish(event);
      await receiveThenCrash(event.id, { CRASH_FAMILY: 'local', CRASH_QUEUE_DB: file });

      const deliveries: ReceivedEvent[] = [];
      bus.consume({
        consumer: 'janitor',
        visibilityTimeoutSeconds: 1,
        handler: async (received) => {
          deliveries.push(received);
        },
      });
      await waitFor('the redelivery', () => deliveries.length === 1);
      expect(deliveries[0]).toMatchObject({ event: { id: event.id }, receiveCount: 2 });
      await waitFor('the acknowledgement', async () => (await bus.queueDepth('janitor')) === 0);
    } finally {
      await bus.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
