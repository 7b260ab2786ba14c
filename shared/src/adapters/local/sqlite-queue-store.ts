import { randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { MAX_RECEIVE_COUNT, type ConsumerName } from '../../events/subscriptions';

/** One received message: `receipt` identifies this receive, as an SQS receipt handle does. */
export interface StoredMessage {
  seq: number;
  body: string;
  correlationId: string | undefined;
  receiveCount: number;
  receipt: string;
}

interface MessageRow {
  seq: number;
  body: string;
  correlation_id: string | null;
  receive_count: number;
  receipt: string;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS messages (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  consumer TEXT NOT NULL,
  body TEXT NOT NULL,
  correlation_id TEXT,
  sent_at INTEGER NOT NULL,
  visible_at INTEGER NOT NULL,
  receive_count INTEGER NOT NULL DEFAULT 0,
  receipt TEXT,
  last_error TEXT
);
CREATE INDEX IF NOT EXISTS messages_visible ON messages (consumer, visible_at);
CREATE TABLE IF NOT EXISTS dead_letters (
  seq INTEGER PRIMARY KEY,
  consumer TEXT NOT NULL,
  body TEXT NOT NULL,
  correlation_id TEXT,
  sent_at INTEGER NOT NULL,
  receive_count INTEGER NOT NULL,
  last_error TEXT,
  dead_at INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS dead_letters_consumer ON dead_letters (consumer);
`;

function prepareStatements(db: Database.Database) {
  return {
    insert: db.prepare<[string, string, string | null, number, number], void>(
      `INSERT INTO messages (consumer, body, correlation_id, sent_at, visible_at)
       VALUES (?, ?, ?, ?, ?)`,
    ),
    // Messages that have used up their receives go to the dead-letter table when they would be
    // received again, as SQS does with a redrive policy.
    moveExhausted: db.prepare<[number, string, number, number], void>(
      `INSERT INTO dead_letters
         (seq, consumer, body, correlation_id, sent_at, receive_count, last_error, dead_at)
       SELECT seq, consumer, body, correlation_id, sent_at, receive_count, last_error, ?
       FROM messages WHERE consumer = ? AND visible_at <= ? AND receive_count >= ?`,
    ),
    deleteExhausted: db.prepare<[string, number, number], void>(
      `DELETE FROM messages WHERE consumer = ? AND visible_at <= ? AND receive_count >= ?`,
    ),
    claim: db.prepare<[number, string, string, number, number], MessageRow>(
      `UPDATE messages
         SET receive_count = receive_count + 1, visible_at = ?,
             receipt = ? || '-' || seq
       WHERE seq IN (
         SELECT seq FROM messages WHERE consumer = ? AND visible_at <= ? ORDER BY seq LIMIT ?
       )
       RETURNING seq, body, correlation_id, receive_count, receipt`,
    ),
    remove: db.prepare<[number, string], void>(
      `DELETE FROM messages WHERE seq = ? AND receipt = ?`,
    ),
    setVisibleAt: db.prepare<[number, number, string], void>(
      `UPDATE messages SET visible_at = ? WHERE seq = ? AND receipt = ?`,
    ),
    recordError: db.prepare<[string, number, string], void>(
      `UPDATE messages SET last_error = ? WHERE seq = ? AND receipt = ?`,
    ),
    nextVisibleAt: db.prepare<[string], { at: number | null }>(
      `SELECT MIN(visible_at) AS at FROM messages WHERE consumer = ?`,
    ),
    depth: db.prepare<[string], { n: number }>(
      `SELECT COUNT(*) AS n FROM messages WHERE consumer = ?`,
    ),
    deadDepth: db.prepare<[string], { n: number }>(
      `SELECT COUNT(*) AS n FROM dead_letters WHERE consumer = ?`,
    ),
  };
}

type Statements = ReturnType<typeof prepareStatements>;

/**
 * The queues of the embedded bus in one SQLite file. Every method is one short transaction, so
 * several processes can share the file: a claim is a single write, and SQLite lets one writer in
 * at a time, so a message goes to one receiver at a time.
 */
export class SqliteQueueStore {
  private readonly db: Database.Database;
  private readonly statements: Statements;

  constructor(file: string) {
    if (file !== ':memory:') mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
    this.db = new Database(file);
    // Five service processes share this file: readers must not block the writer, and a writer
    // waits for another one rather than failing at once.
    this.db.pragma('busy_timeout = 5000');
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = FULL');
    this.db.exec(SCHEMA);
    this.statements = prepareStatements(this.db);
  }

  /** Puts one message on each of the given consumers' queues, all or none. */
  enqueue(consumers: readonly ConsumerName[], body: string, correlationId?: string): void {
    const now = Date.now();
    this.db.transaction(() => {
      for (const consumer of consumers) {
        this.statements.insert.run(consumer, body, correlationId ?? null, now, now);
      }
    })();
  }

  /**
   * Receives up to `limit` visible messages and hides them for `visibilityMs`. Exhausted
   * messages are dead-lettered first, in the same transaction.
   */
  claim(consumer: ConsumerName, limit: number, visibilityMs: number): StoredMessage[] {
    const now = Date.now();
    const rows = this.db
      .transaction(() => {
        this.statements.moveExhausted.run(now, consumer, now, MAX_RECEIVE_COUNT);
        this.statements.deleteExhausted.run(consumer, now, MAX_RECEIVE_COUNT);
        return this.statements.claim.all(now + visibilityMs, randomUUID(), consumer, now, limit);
      })
      .immediate();
    return rows
      .sort((a, b) => a.seq - b.seq)
      .map((row) => ({
        seq: row.seq,
        body: row.body,
        correlationId: row.correlation_id ?? undefined,
        receiveCount: row.receive_count,
        receipt: row.receipt,
      }));
  }

  /** Deletes a received message; false when its receive has lapsed and someone else holds it. */
  remove(message: StoredMessage): boolean {
    return this.statements.remove.run(message.seq, message.receipt).changes > 0;
  }

  /** Makes a received message visible again `delayMs` from now (an SQS visibility change). */
  changeVisibility(message: StoredMessage, delayMs: number): boolean {
    const at = Date.now() + delayMs;
    return this.statements.setVisibleAt.run(at, message.seq, message.receipt).changes > 0;
  }

  recordError(message: StoredMessage, error: string): void {
    this.statements.recordError.run(error, message.seq, message.receipt);
  }

  /** When the earliest message of a consumer becomes (or became) visible; undefined if none. */
  nextVisibleAt(consumer: ConsumerName): number | undefined {
    return this.statements.nextVisibleAt.get(consumer)?.at ?? undefined;
  }

  /** Messages on a consumer's queue, visible or in flight. */
  depth(consumer: ConsumerName): number {
    return this.statements.depth.get(consumer)?.n ?? 0;
  }

  deadLetterDepth(consumer: ConsumerName): number {
    return this.statements.deadDepth.get(consumer)?.n ?? 0;
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}
