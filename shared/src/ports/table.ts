/**
 * The table port: the small subset of DynamoDB that the repositories need, so that each
 * repository is written once and runs on DynamoDB and on SQLite alike.
 */

export type KeyType = 'S' | 'N';
export type KeyValue = string | number;
export type Item = Record<string, unknown>;

export interface KeyAttribute {
  name: string;
  type: KeyType;
}

export interface IndexSchema {
  partitionKey: KeyAttribute;
  sortKey?: KeyAttribute;
}

export interface TableSchema {
  partitionKey: KeyAttribute;
  sortKey?: KeyAttribute;
  /** Global secondary indexes by name; every attribute is projected. */
  indexes?: Record<string, IndexSchema>;
  /** The attribute DynamoDB's TTL deletes by (epoch seconds). */
  ttlAttribute?: string;
  /** Whether changes are streamed (DynamoDB Streams, new and old images). */
  stream?: boolean;
}

/** The tables of DESIGN.md; `leases` holds the janitor's sweeper lease. */
export const TABLES = {
  projects: {
    partitionKey: { name: 'tenantId', type: 'S' },
    sortKey: { name: 'projectId', type: 'S' },
  },
  files: {
    partitionKey: { name: 'tenantProject', type: 'S' },
    sortKey: { name: 'fileId', type: 'S' },
  },
  kbFiles: {
    partitionKey: { name: 'fileId', type: 'S' },
    indexes: {
      // Sharded so that the sweeper finds expired records with queries, never a scan.
      byExpiry: {
        partitionKey: { name: 'expiryShard', type: 'S' },
        sortKey: { name: 'ttl', type: 'N' },
      },
    },
    ttlAttribute: 'ttl',
    stream: true,
  },
  chats: {
    partitionKey: { name: 'tenantId', type: 'S' },
    sortKey: { name: 'chatId', type: 'S' },
  },
  chatHistory: {
    partitionKey: { name: 'chatId', type: 'S' },
    sortKey: { name: 'seq', type: 'N' },
  },
  rateLimits: {
    partitionKey: { name: 'key', type: 'S' },
    ttlAttribute: 'expire',
  },
  leases: {
    partitionKey: { name: 'name', type: 'S' },
  },
} as const satisfies Record<string, TableSchema>;

export type TableName = keyof typeof TABLES;

/**
 * A condition on an item's current attributes, portable between DynamoDB condition expressions
 * and the embedded store. `attribute` names a top-level attribute.
 */
export type Condition =
  | { exists: string }
  | { notExists: string }
  | { eq: [attribute: string, value: unknown] }
  | { ne: [attribute: string, value: unknown] }
  | { lt: [attribute: string, value: KeyValue] }
  | { lte: [attribute: string, value: KeyValue] }
  | { gt: [attribute: string, value: KeyValue] }
  | { gte: [attribute: string, value: KeyValue] }
  | { in: [attribute: string, values: unknown[]] }
  | { and: Condition[] }
  | { or: Condition[] };

/** A range on the sort key of a query. */
export type SortKeyCondition =
  | { beginsWith: string }
  | { eq: KeyValue }
  | { lt: KeyValue }
  | { lte: KeyValue }
  | { gt: KeyValue }
  | { gte: KeyValue }
  | { between: [KeyValue, KeyValue] };

export interface QueryOptions {
  /** Query a secondary index instead of the table. */
  index?: string;
  sortKey?: SortKeyCondition;
  limit?: number;
  /** Opaque cursor from a previous page. */
  cursor?: string;
  /** Descending sort-key order. */
  descending?: boolean;
}

export interface QueryResult<T extends Item = Item> {
  items: T[];
  /** Present when there may be more items. */
  cursor?: string;
}

export interface UpdateOptions {
  condition?: Condition;
  /** Attributes to remove. */
  remove?: string[];
  /** Attributes to add to atomically (numbers). */
  increment?: Record<string, number>;
}

/**
 * One table. Keys are objects of the key attributes, e.g. `{ tenantId, projectId }`.
 * A failed condition throws `ConditionFailedError`; anything else an `AppError`.
 */
export interface Table<T extends Item = Item> {
  readonly schema: TableSchema;
  get(key: Item): Promise<T | undefined>;
  /** Writes the whole item; with a condition, only if it holds for the current item. */
  put(item: T, options?: { condition?: Condition }): Promise<void>;
  /**
   * Sets the given attributes (creating the item when it does not exist and the condition allows),
   * and returns the item as it is after the update.
   */
  update(key: Item, set: Partial<T>, options?: UpdateOptions): Promise<T>;
  /** Deletes and returns the old item, if any; with a condition, only if it holds. */
  delete(key: Item, options?: { condition?: Condition }): Promise<T | undefined>;
  /** Items of one partition (of the table or an index), in sort-key order. */
  query(partitionValue: KeyValue, options?: QueryOptions): Promise<QueryResult<T>>;
}

/** Opens the tables of TABLES by logical name. */
export interface TableStore {
  table<T extends Item = Item>(name: TableName): Table<T>;
  close?(): Promise<void>;
}
