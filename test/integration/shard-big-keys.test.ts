// Issue 9.4: --shard I/N puts a BIGINT key in the same shard on SQLite as on MariaDB (and Hive,
// which hashes the same text): CRC32 of the key's decimal text, modulo N. SQLite used to hash
// the double nearest to keys beyond 2^53, so 2^53 + 1 went to 2^53's shard.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dialectOf } from '../../src/config/connection-schema.ts';
import { planJob } from '../../src/plan/plan.ts';
import { resolveRunTime } from '../../src/plan/time.ts';
import { renderForDialect } from '../../src/sql/render.ts';
import { openWarehouse } from '../../src/warehouses/open-warehouse.ts';
import { createTestDatabase, loadFixture, type TestDatabase } from '../support/databases.ts';
import { jobText, loadTestJob } from '../support/job-leads.ts';

const KEYS = [
  '7',
  '1000',
  '9007199254740992',
  '9007199254740993',
  '9007199254740995',
  '18014398509481985',
  '9223372036854775807',
];

// By hand: crc32 of each key's text (zlib.crc32, MariaDB CRC32(CAST(k AS CHAR))) modulo 4.
const SHARDS: string[][] = [
  ['18014398509481985'],
  ['9007199254740992'],
  ['7', '9007199254740995', '9223372036854775807'],
  ['1000', '9007199254740993'],
];

describe.each(['sqlite', 'mysql'] as const)('--shard I/4 with BIGINT keys on %s', (dialect) => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase(dialect, 'shard_big_keys');
    await loadFixture(db, [
      { name: 'people', columns: { user_id: 'bigInteger' }, rows: KEYS.map((user_id) => ({ user_id })) },
    ]);
  }, 60_000);
  afterAll(async () => db?.drop());

  it.each([0, 1, 2, 3])('shard %i/4', async (index) => {
    const job = loadTestJob(db, jobText('audience: { table: people }\nlead: { fields: [user_id] }'));
    const plan = planJob(job, resolveRunTime('2026-11-23T09:00:00', job.timezone), dialectOf(db.connection), {
      shard: { index, count: 4 },
    });
    const warehouse = await openWarehouse('wh', db.connection);
    try {
      const rows = await warehouse.all(await renderForDialect(plan));
      expect(rows.map((r) => String(r[0])).sort()).toEqual([...SHARDS[index]].sort());
    } finally {
      await warehouse.close();
    }
  });
});
