// Issue 9.2: text compares exactly (code point, case- and space-sensitive) on every engine,
// MariaDB's default collation (utf8mb4_general_ci) included; `ilike` folds case on purpose.
// The issue's own example, expected people written by hand beside each row.
import { describe, expect, it } from 'vitest';
import { DIALECTS, type FixtureTable } from '../support/databases.ts';
import { fixtureDatabase, jobKeys, jobText } from '../support/job-leads.ts';

const TABLES: FixtureTable[] = [
  {
    name: 'dim_user',
    columns: { user_id: 'integer', gender: 'string', note: 'string', zip: 'string' },
    rows: [
      { user_id: 1, gender: 'M', note: 'VIP客户', zip: '02138' },
      { user_id: 2, gender: 'm', note: 'vip客户', zip: '2138' },
      { user_id: 3, gender: 'M ', note: 'Vip', zip: null },
    ],
    indexes: [['gender']],
  },
  {
    name: 'user_tag',
    columns: { user_id: 'integer', tag: 'string' },
    rows: [
      { user_id: 1, tag: 'VIP' },
      { user_id: 2, tag: 'vip' },
      { user_id: 3, tag: 'VIP ' },
    ],
  },
];

const where = (w: string) => jobText(`audience: { table: dim_user, where: ${w} }\nlead: { fields: [user_id] }`);

// [where, people]: each answer by hand from the three rows above.
const CASES: [string, number[]][] = [
  ['{ gender: M }', [1]], // 'm' differs in case, 'M ' by a trailing space
  ['{ gender: { eq: m } }', [2]],
  ['{ gender: { ne: M } }', [2, 3]],
  ['{ gender: [M, m] }', [1, 2]],
  ['{ gender: { not_in: [M] } }', [2, 3]],
  ['{ gender: { gte: M, lt: "N" } }', [1, 3]], // 'M' <= 'M ' < 'N' < 'm' by code point (a plain N is refused)
  ['{ gender: { between: [M, "M "] } }', [1, 3]],
  ["{ note: { like: 'VIP%' } }", [1]],
  ["{ note: { like: 'VIP_户' } }", [1]], // _ is one character, even a 3-byte one
  ["{ note: { ilike: 'vip%' } }", [1, 2, 3]],
  ['{ zip: "02138" }', [1]], // quoted: the text as typed, leading zero kept
];

describe.each(DIALECTS)('exact strings on %s', (dialect) => {
  const db = fixtureDatabase(dialect, 'exact_strings', TABLES, { mysqlCollation: 'utf8mb4_general_ci' });

  it.each(CASES)('where %s picks %j', async (w, people) => {
    expect(await jobKeys(db(), where(w))).toEqual(people);
  });

  it('tags compare exactly', async () => {
    const job = jobText(
      'audience: { table: dim_user, tags: { table: user_tag, any: [VIP] } }\nlead: { fields: [user_id] }',
    );
    expect(await jobKeys(db(), job)).toEqual([1]);
  });

  // Registered on MariaDB only (not skipped elsewhere: CI runs no skipped tests).
  if (dialect === 'mysql')
    it('MariaDB still uses the index on gender for = and IN (EXPLAIN)', async () => {
      // Enough other people that a full scan is not the cheaper plan (runs last: it adds rows).
      const others = Array.from({ length: 3000 }, (_, i) => ({ user_id: 100 + i, gender: `g${i % 50}`, note: 'x' }));
      for (let i = 0; i < others.length; i += 500)
        await db()
          .knex('dim_user')
          .insert(others.slice(i, i + 500));
      await db().knex.raw('ANALYZE TABLE dim_user');
      for (const w of ['{ gender: M }', '{ gender: [M, m] }']) {
        const { loadTestJob } = await import('../support/job-leads.ts');
        const { planJob } = await import('../../src/plan/plan.ts');
        const { resolveRunTime } = await import('../../src/plan/time.ts');
        const { renderQuery } = await import('../../src/sql/render-query.ts');
        const job = loadTestJob(db(), where(w));
        const query = renderQuery(planJob(job, resolveRunTime('2026-11-23T09:00:00', job.timezone), 'mysql'));
        const [rows] = (await db().knex.raw(`EXPLAIN ${query.sql}`, query.bindings as string[])) as [
          Record<string, unknown>[],
        ];
        expect(String(rows[0].key)).toMatch(/gender/);
        expect(['ref', 'range']).toContain(rows[0].type);
      }
    });
});
