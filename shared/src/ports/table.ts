/**
 * The table port: the small subset of DynamoDB that the repositories need, so that each
 * repository is written once and runs on DynamoDB and on SQLite alike.
 */

import { AppError } from '../errors';

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
 * and the embedded store. `attribute` names a top-level attribute. As in DynamoDB, a missing
 * attribute fails every test but `notExists` and `ne`, and comparing values of different types
 * fails. `and`, `or` and `in` need at least one member; values may not be `undefined`.
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

/** A range on the sort key of a query; values have the sort key's type (`beginsWith`: strings). */
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
 * One table. Keys are objects of the key attributes, e.g. `{ tenantId, projectId }`; other
 * attributes of a key object are ignored, so a whole item serves as its own key. Values are JSON
 * values. A failed condition throws `ConditionFailedError`; anything else an `AppError`.
 */
export interface Table<T extends Item = Item> {
  readonly schema: TableSchema;
  get(key: Item): Promise<T | undefined>;
  /** Writes the whole item; with a condition, only if it holds for the current item. */
  put(item: T, options?: { condition?: Condition }): Promise<void>;
  /**
   * Sets the given attributes (creating the item when it does not exist and the condition allows),
   * and returns the item as it is after the update. `undefined` values in `set` are ignored; key
   * attributes may appear in `set` only with the key's own values; an update that changes nothing
   * is rejected.
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

// Rules both adapters apply before touching storage, so that a mistake fails the same way
// (`invalid_input`) on SQLite as on DynamoDB, and the embedded store never accepts what
// DynamoDB would reject.

/** Checks one key value against its declared type; DynamoDB rejects empty string keys. */
export function assertKeyValue(attribute: KeyAttribute, value: unknown): asserts value is KeyValue {
  const ok =
    attribute.type === 'S'
      ? typeof value === 'string' && value.length > 0
      : typeof value === 'number' && Number.isFinite(value);
  if (!ok) {
    const kind = attribute.type === 'S' ? 'a non-empty string' : 'a finite number';
    throw AppError.invalid(`key attribute ${attribute.name} must be ${kind}`);
  }
}

/** The key attributes of `item` under `schema` (a table's or an index's), checked. */
export function keyOf(schema: IndexSchema, item: Item): Record<string, KeyValue> {
  const key: Record<string, KeyValue> = {};
  for (const attribute of keyAttributes(schema)) {
    const value = item[attribute.name];
    assertKeyValue(attribute, value);
    key[attribute.name] = value;
  }
  return key;
}

export function keyAttributes(schema: IndexSchema): KeyAttribute[] {
  return schema.sortKey ? [schema.partitionKey, schema.sortKey] : [schema.partitionKey];
}

export type ComparisonOperator = 'eq' | 'ne' | 'lt' | 'lte' | 'gt' | 'gte';

/** One node of a Condition, in a shape that adapters can walk without probing keys. */
export type ConditionNode =
  | { op: 'and'; members: Condition[] }
  | { op: 'or'; members: Condition[] }
  | { op: 'exists'; attribute: string }
  | { op: 'notExists'; attribute: string }
  | { op: 'eq'; attribute: string; value: unknown }
  | { op: 'ne'; attribute: string; value: unknown }
  | { op: 'lt'; attribute: string; value: unknown }
  | { op: 'lte'; attribute: string; value: unknown }
  | { op: 'gt'; attribute: string; value: unknown }
  | { op: 'gte'; attribute: string; value: unknown }
  | { op: 'in'; attribute: string; values: unknown[] };

/** Parses the top of a condition, rejecting what DynamoDB cannot express. */
export function parseCondition(condition: Condition): ConditionNode {
  const node = conditionNode(condition);
  if ((node.op === 'and' || node.op === 'or') && node.members.length === 0) {
    throw AppError.invalid(`an ${node.op} condition needs members`);
  }
  if (node.op === 'in' && node.values.length === 0) {
    throw AppError.invalid('an in condition needs values');
  }
  const values = node.op === 'in' ? node.values : 'value' in node ? [node.value] : [];
  if (values.some((value) => value === undefined)) {
    throw AppError.invalid('condition values may not be undefined');
  }
  return node;
}

function conditionNode(c: Condition): ConditionNode {
  if ('and' in c) return { op: 'and', members: c.and };
  if ('or' in c) return { op: 'or', members: c.or };
  if ('exists' in c) return { op: 'exists', attribute: c.exists };
  if ('notExists' in c) return { op: 'notExists', attribute: c.notExists };
  if ('in' in c) return { op: 'in', attribute: c.in[0], values: c.in[1] };
  if ('eq' in c) return { op: 'eq', attribute: c.eq[0], value: c.eq[1] };
  if ('ne' in c) return { op: 'ne', attribute: c.ne[0], value: c.ne[1] };
  if ('lt' in c) return { op: 'lt', attribute: c.lt[0], value: c.lt[1] };
  if ('lte' in c) return { op: 'lte', attribute: c.lte[0], value: c.lte[1] };
  if ('gt' in c) return { op: 'gt', attribute: c.gt[0], value: c.gt[1] };
  if ('gte' in c) return { op: 'gte', attribute: c.gte[0], value: c.gte[1] };
  throw AppError.invalid('unknown condition');
}

export type SortKeyOperator = 'beginsWith' | 'between' | Exclude<ComparisonOperator, 'ne'>;

/** Parses a sort-key range, checking its values against the sort key's type. */
export function parseSortKeyCondition(
  attribute: KeyAttribute,
  c: SortKeyCondition,
): { op: SortKeyOperator; values: KeyValue[] } {
  const parsed = sortKeyNode(c);
  if (parsed.op === 'beginsWith' && attribute.type !== 'S') {
    throw AppError.invalid(`beginsWith needs a string sort key, not ${attribute.name}`);
  }
  parsed.values.forEach((value) => assertKeyValue(attribute, value));
  return parsed;
}

function sortKeyNode(c: SortKeyCondition): { op: SortKeyOperator; values: KeyValue[] } {
  if ('beginsWith' in c) return { op: 'beginsWith', values: [c.beginsWith] };
  if ('between' in c) return { op: 'between', values: [c.between[0], c.between[1]] };
  if ('eq' in c) return { op: 'eq', values: [c.eq] };
  if ('lt' in c) return { op: 'lt', values: [c.lt] };
  if ('lte' in c) return { op: 'lte', values: [c.lte] };
  if ('gt' in c) return { op: 'gt', values: [c.gt] };
  if ('gte' in c) return { op: 'gte', values: [c.gte] };
  throw AppError.invalid('unknown sort-key condition');
}

export interface NormalizedUpdate {
  set: Item;
  remove: string[];
  increment: Record<string, number>;
}

/** The effective actions of an update, checked against the table's key. */
export function normalizeUpdate(
  schema: TableSchema,
  key: Record<string, KeyValue>,
  set: Item,
  options: UpdateOptions = {},
): NormalizedUpdate {
  const keyNames = new Set(keyAttributes(schema).map((attribute) => attribute.name));
  const effective: Item = {};
  for (const [name, value] of Object.entries(set)) {
    if (value === undefined) continue;
    if (keyNames.has(name)) {
      if (value !== key[name]) throw AppError.invalid(`key attribute ${name} cannot change`);
      continue;
    }
    effective[name] = value;
  }
  const remove = options.remove ?? [];
  const increment = options.increment ?? {};
  const touched = [...Object.keys(effective), ...remove, ...Object.keys(increment)];
  if (touched.length === 0) throw AppError.invalid('an update needs something to change');
  if (new Set(touched).size !== touched.length) {
    throw AppError.invalid('an attribute may appear once in set, remove and increment');
  }
  for (const name of touched) {
    if (keyNames.has(name)) throw AppError.invalid(`key attribute ${name} cannot change`);
  }
  for (const [name, by] of Object.entries(increment)) {
    if (!Number.isFinite(by)) throw AppError.invalid(`increment of ${name} must be a number`);
  }
  return { set: effective, remove, increment };
}

/** Checks a query page size. */
export function assertLimit(limit: number | undefined): void {
  if (limit !== undefined && (!Number.isInteger(limit) || limit < 1)) {
    throw AppError.invalid('limit must be a positive integer');
  }
}
