import { randomUUID } from 'node:crypto';
import type { TableStore } from '../../src/ports/table';

/** A table store for a repository suite, and how to let go of it. */
export interface StoreFixture {
  store: TableStore;
  cleanup(): Promise<void>;
}

export type OpenStore = () => Promise<StoreFixture>;

/** A tenant id of the test's own, so that suites sharing an emulator never see each other. */
export function newTenant(): string {
  return `tenant-${randomUUID()}`;
}

/** Opens one store for the describe block and closes it after. */
export function useStore(open: OpenStore): () => TableStore {
  let fixture: StoreFixture | undefined;
  beforeAll(async () => {
    fixture = await open();
  });
  afterAll(async () => {
    await fixture?.cleanup();
  });
  return () => {
    if (!fixture) throw new Error('the store is not open');
    return fixture.store;
  };
}
