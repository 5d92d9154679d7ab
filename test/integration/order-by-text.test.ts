// Issue 9.2/9.4: lead.order_by on a text column sorts by code point on every engine (case- and
// space-sensitive), so `limit` picks the same people: MariaDB under utf8mb4_general_ci (where
// 'A', 'A ' and 'a' tie) and PostgreSQL with a linguistic collation (en-US-x-icu sorts 'a'
// before 'B') used to pick others. Numbers still sort as numbers. Orders written by hand.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, DIALECTS, loadFixture, type TestDatabase } from '../support/databases.ts';
import { jobRows, jobText } from '../support/job-leads.ts';

const ROWS = [
  { user_id: 1, code: 'b', score: 10 },
  { user_id: 2, code: 'B', score: 9 },
  { user_id: 3, code: 'a', score: 100 },
  { user_id: 4, code: 'A ', score: null },
  { user_id: 5, code: 'A', score: -1 },
  { user_id: 6, code: null, score: 9 },
  { user_id: 7, code: 'Ａ', score: 2 }, // full-width A, U+FF21: after every ASCII letter
];

const job = (order: string, limit = '') =>
  jobText(`audience: { table: people }\nlead: { fields: [user_id], order_by: ${order}${limit} }`);

describe.each(DIALECTS)('order_by on text on %s', (dialect) => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase(dialect, 'order_by_text', { mysqlCollation: 'utf8mb4_general_ci' });
    await loadFixture(db, [
      { name: 'people', columns: { user_id: 'integer', code: 'string', score: 'integer' }, rows: ROWS },
    ]);
    if (dialect === 'postgres')
      await db.knex.raw('ALTER TABLE people ALTER COLUMN code TYPE text COLLATE "en-US-x-icu"');
  }, 60_000);
  afterAll(async () => db?.drop());

  const people = async (text: string) => (await jobRows(db, text)).map((r) => Number(r[0]));

  it('asc: A, "A ", B, a, b, full-width A, then NULL', async () => {
    expect(await people(job('{ code: asc }'))).toEqual([5, 4, 2, 3, 1, 7, 6]);
  });

  it('desc, NULL still last', async () => {
    expect(await people(job('{ code: desc }'))).toEqual([7, 1, 3, 2, 4, 5, 6]);
  });

  it('limit picks the same first people', async () => {
    expect(await people(job('{ code: asc }', ', limit: 2'))).toEqual([5, 4]);
  });

  it('numbers sort as numbers (ties by the key), NULL last', async () => {
    expect(await people(job('{ score: desc }'))).toEqual([3, 1, 2, 6, 7, 5, 4]);
  });
});
