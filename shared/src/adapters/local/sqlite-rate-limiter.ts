import Database from 'better-sqlite3';
import { RateLimiterSQLite } from 'rate-limiter-flexible';
import type { RateLimit, RateLimiter, RateLimiterFactory } from '../../ports/rate-limiter';
import { checkRateLimit, FlexibleRateLimiter } from './flexible-rate-limiter';

const TABLE = 'rate_limits';

export interface SqliteRateLimiterFactoryOptions {
  /** The database file; every process of one installation opens the same one. */
  path: string;
}

/**
 * Embedded rate limiters: rate-limiter-flexible's SQLite store in one file of the data directory,
 * so that the gateway and the ingestion worker (separate processes) count against the same
 * windows, and counters survive restarts.
 */
export class SqliteRateLimiterFactory implements RateLimiterFactory {
  private readonly db: Database.Database;

  constructor(options: SqliteRateLimiterFactoryOptions) {
    this.db = new Database(options.path);
    // WAL and a busy timeout: several processes write to this file at once.
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('busy_timeout = 5000');
    // The library's own schema, created here so that the limiters are usable at once (the library
    // creates it asynchronously otherwise, and refuses to count until it has).
    this.db.exec(
      `CREATE TABLE IF NOT EXISTS ${TABLE} (
        key TEXT PRIMARY KEY,
        points INTEGER NOT NULL DEFAULT 0,
        expire INTEGER
      )`,
    );
    // Expired windows are only overwritten, never read again; drop the old ones on start.
    this.db.prepare(`DELETE FROM ${TABLE} WHERE expire < ?`).run(Date.now() - 3_600_000);
  }

  create(name: string, limit: RateLimit): RateLimiter {
    checkRateLimit(name, limit);
    const store = new RateLimiterSQLite({
      storeClient: this.db,
      storeType: 'better-sqlite3',
      tableName: TABLE,
      tableCreated: true,
      keyPrefix: name,
      points: limit.points,
      duration: limit.durationSeconds,
    });
    return new FlexibleRateLimiter(name, limit, store);
  }

  async close(): Promise<void> {
    if (this.db.open) this.db.close();
  }
}
