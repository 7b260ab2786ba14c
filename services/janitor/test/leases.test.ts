import { createLeasesRepository, SqliteTableStore, type TableStore } from '@jitkb/shared';
import {
  DynamoTableStore,
  createAwsClients,
  provisionTables,
  tableNamesFor,
} from '@jitkb/shared/aws';
import { testAwsEndpoint, uniquePrefix } from '@jitkb/shared/testing';

interface Store {
  tables: TableStore;
  close(): Promise<void>;
}

const stores: Record<string, () => Promise<Store>> = {
  SQLite: async () => {
    const tables = new SqliteTableStore({ path: ':memory:' });
    return { tables, close: () => tables.close() };
  },
  'DynamoDB (moto)': async () => {
    const clients = createAwsClients({ region: 'us-east-1', endpoint: testAwsEndpoint() });
    const tableNames = tableNamesFor(uniquePrefix('leases'));
    await provisionTables({ dynamodb: clients.dynamodb, tableNames });
    return {
      tables: new DynamoTableStore({ client: clients.dynamodb, tableNames }),
      close: async () => clients.destroy(),
    };
  },
};

describe.each(Object.keys(stores))('leases repository on %s', (label) => {
  let store: Store;
  let clock = 1_000_000;
  const leases = () => createLeasesRepository(store.tables, { now: () => clock });
  beforeAll(async () => {
    const open = stores[label];
    if (!open) throw new Error(label);
    store = await open();
  });
  afterAll(async () => {
    await store.close();
  });
  beforeEach(() => {
    clock += 1_000_000;
  });

  let n = 0;
  const name = () => `lease-${(n += 1)}`;

  it('gives a free lease to the first holder and refuses it to a second', async () => {
    const lease = name();
    expect(await leases().acquire(lease, 'a', 10_000)).toBe(true);
    expect(await leases().acquire(lease, 'b', 10_000)).toBe(false);
    expect(await leases().get(lease)).toMatchObject({ holder: 'a', expiresAt: clock + 10_000 });
  });

  it('lets the holder take it again, extending it', async () => {
    const lease = name();
    await leases().acquire(lease, 'a', 10_000);
    clock += 5_000;
    expect(await leases().acquire(lease, 'a', 10_000)).toBe(true);
    expect((await leases().get(lease))?.expiresAt).toBe(clock + 10_000);
  });

  it('goes to another holder once it has run out', async () => {
    const lease = name();
    await leases().acquire(lease, 'a', 10_000);
    clock += 10_000;
    expect(await leases().acquire(lease, 'b', 10_000)).toBe(true);
    expect(await leases().renew(lease, 'a', 10_000)).toBe(false);
    expect((await leases().get(lease))?.holder).toBe('b');
  });

  it('renews only for its holder, and never recreates a released lease', async () => {
    const lease = name();
    await leases().acquire(lease, 'a', 10_000);
    clock += 9_000;
    expect(await leases().renew(lease, 'a', 10_000)).toBe(true);
    clock += 9_000;
    expect(await leases().acquire(lease, 'b', 10_000)).toBe(false);
    expect(await leases().renew(lease, 'b', 10_000)).toBe(false);
    expect(await leases().release(lease, 'a')).toBe(true);
    expect(await leases().renew(lease, 'a', 10_000)).toBe(false);
    expect(await leases().get(lease)).toBeUndefined();
  });

  it('releases only for its holder', async () => {
    const lease = name();
    await leases().acquire(lease, 'a', 10_000);
    expect(await leases().release(lease, 'b')).toBe(false);
    expect((await leases().get(lease))?.holder).toBe('a');
    expect(await leases().release(lease, 'a')).toBe(true);
    expect(await leases().acquire(lease, 'b', 10_000)).toBe(true);
  });

  it('gives a contended lease to exactly one of many holders', async () => {
    const lease = name();
    const holders = Array.from({ length: 8 }, (_, i) => `h${i}`);
    const won = await Promise.all(holders.map((holder) => leases().acquire(lease, holder, 10_000)));
    expect(won.filter(Boolean)).toHaveLength(1);
    expect((await leases().get(lease))?.holder).toBe(holders[won.indexOf(true)]);
  });

  it('rejects a duration that is not a positive whole number of milliseconds', async () => {
    await expect(leases().acquire(name(), 'a', 0)).rejects.toThrow(RangeError);
    await expect(leases().renew(name(), 'a', 1.5)).rejects.toThrow(RangeError);
  });
});
