import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { AwsModeConfig, ModeConfig } from '../config/base';
import type { Logger } from '../logging/logger';
import type { EventBus } from '../ports/event-bus';
import type { ObjectStore } from '../ports/object-store';
import type { RateLimiterFactory } from '../ports/rate-limiter';
import type { TableStore } from '../ports/table';
import { LocalObjectStore } from './local/local-object-store';
import { SqliteEventBus } from './local/sqlite-event-bus';
import { SqliteTableStore } from './local/sqlite-table-store';
import { loadOrCreateSecret } from './local/secret';
import { SqliteRateLimiterFactory } from './local/sqlite-rate-limiter';

export interface Adapters {
  mode: ModeConfig['JITKB_MODE'];
  tables: TableStore;
  objects: ObjectStore;
  bus: EventBus;
  /** Shared counters for the per-tier limits (SQLite file in embedded mode, DynamoDB on aws). */
  rateLimiters: RateLimiterFactory;
  /** The embedded object store, whose upload route the gateway mounts; absent on aws. */
  localObjects?: LocalObjectStore;
  close(): Promise<void>;
}

export interface CreateAdaptersOptions {
  log: Logger;
}

/**
 * The one place that picks an adapter family. The aws family is loaded only in aws mode, so
 * embedded processes and unit tests never load the AWS SDK.
 */
export function createAdapters(config: ModeConfig, options: CreateAdaptersOptions): Adapters {
  if (config.JITKB_MODE === 'aws') {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const aws = require('./aws') as typeof import('./aws');
    return aws.createAwsAdapters(config satisfies AwsModeConfig, options);
  }
  const dataDir = path.resolve(config.JITKB_DATA_DIR);
  mkdirSync(dataDir, { recursive: true });
  const secret =
    config.JITKB_UPLOAD_SECRET ?? loadOrCreateSecret(path.join(dataDir, 'upload-secret'));
  const tables = new SqliteTableStore({ path: path.join(dataDir, 'tables.db') });
  const bus = new SqliteEventBus({ path: path.join(dataDir, 'queue.db'), log: options.log });
  const objects = new LocalObjectStore({
    root: path.join(dataDir, 'objects'),
    secret,
    publicUrl: config.JITKB_PUBLIC_URL,
  });
  const rateLimiters = new SqliteRateLimiterFactory({ path: path.join(dataDir, 'rate-limits.db') });
  return {
    mode: 'embedded',
    tables,
    objects,
    bus,
    rateLimiters,
    localObjects: objects,
    async close() {
      await bus.close();
      await tables.close();
      await rateLimiters.close();
    },
  };
}
