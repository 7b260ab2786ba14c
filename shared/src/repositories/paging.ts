import type { Item, QueryOptions, QueryResult, Table, KeyValue } from '../ports/table';

/** One page of a listing: items and, when there may be more, the cursor of the next page. */
export interface Page<T> {
  items: T[];
  cursor?: string;
}

export interface PageOptions {
  limit?: number;
  cursor?: string;
}

/** Reads every page of a partition; listings here are bounded by the tier limits. */
export async function queryAll<T extends Item>(
  table: Table<T>,
  partition: KeyValue,
  options: Omit<QueryOptions, 'cursor'> = {},
): Promise<T[]> {
  const items: T[] = [];
  let cursor: string | undefined;
  do {
    const page: QueryResult<T> = await table.query(partition, {
      ...options,
      ...(cursor ? { cursor } : {}),
    });
    items.push(...page.items);
    cursor = page.cursor;
  } while (cursor);
  return items;
}

/** Copies the paging options that are set, so that no `undefined` reaches the table. */
export function pageOptions(options: PageOptions): Pick<QueryOptions, 'limit' | 'cursor'> {
  return {
    ...(options.limit !== undefined ? { limit: options.limit } : {}),
    ...(options.cursor !== undefined ? { cursor: options.cursor } : {}),
  };
}
