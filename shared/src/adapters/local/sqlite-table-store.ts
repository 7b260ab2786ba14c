import type { Item, Table, TableName, TableStore } from '../../ports/table';

export interface SqliteTableStoreOptions {
  /** The SQLite database file (':memory:' for a private in-memory store). */
  path: string;
}

// PLACEHOLDER: replaced by the real implementation.
export class SqliteTableStore implements TableStore {
  constructor(readonly options: SqliteTableStoreOptions) {}
  table<T extends Item = Item>(_name: TableName): Table<T> {
    throw new Error('not implemented');
  }
  async close(): Promise<void> {}
}
