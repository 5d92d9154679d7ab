// Issue 9.4, the heavy case: `where` lists of 1,000,000 ids and of 1,000,000 codes against a
// 100,000-person table on SQLite, MariaDB (utf8mb4_general_ci) and PostgreSQL. Each run prints
// its time (the README's "Long lists" figures come from here); the people are checked by
// count and by hand at the edges. Reading a million-value job file is engine-independent: it
// is timed once, with `crm-leads validate` in a child process (parsing blocks for a minute,
// which a test worker must not do), and the engines get the same list in the loaded job.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dialectOf } from '../../src/config/connection-schema.ts';
import { loadJob, type Job } from '../../src/config/load-job.ts';
import type { SqlValue } from '../../src/config/where-schema.ts';
import { planJob } from '../../src/plan/plan.ts';
import { resolveRunTime } from '../../src/plan/time.ts';
import { renderForDialect } from '../../src/sql/render.ts';
import { openWarehouse } from '../../src/warehouses/open-warehouse.ts';
import { runCli } from '../support/cli.ts';
import { createTestDatabase, DIALECTS, loadFixture, type TestDatabase } from '../support/databases.ts';

const PEOPLE = 100_000; // user_id 1..100,000, code 'C<id>'
const LIST = 1_000_000;
// Every third id from 3 up to 3,000,000: the people whose id is a multiple of 3 (33,334 with
// the two extra people 100,001 and 100,002 below).
const IDS = Array.from({ length: LIST }, (_, i) => 3 * (i + 1));
const CODES = IDS.map((i) => `C${i}`);
const ON_LIST = Math.floor((PEOPLE + 2) / 3);

const jobText = (where: string) =>
  `name: t\nsource: wh\ntimezone: UTC\naudience: { table: people, where: ${where} }\nlead: { fields: [user_id] }\n`;

/** The job with a short list, then given the million values (as reading the file gives them). */
function job(column: string, op: 'in' | 'not_in', values: SqlValue[]): Job {
  const loaded = loadJob('/virtual/long-list.yaml', undefined, {}, jobText(`{ ${column}: { ${op}: [x] } }`));
  return { ...loaded, audience: { ...loaded.audience, where: [{ column, condition: { op, values } }] } };
}

const ids = job('user_id', 'in', IDS);
const notIn = job('user_id', 'not_in', IDS);
const codes = job('code', 'in', CODES);

beforeAll(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'crm-leads-long-lists-'));
  writeFileSync(join(dir, 'connections.yaml'), 'wh: { type: sqlite, path: ":memory:" }\n');
  writeFileSync(join(dir, 'ids.yaml'), jobText(`{ user_id: [${IDS.join(', ')}] }`));
  writeFileSync(join(dir, 'codes.yaml'), jobText(`{ code: [${CODES.join(', ')}] }`));
  for (const file of ['ids.yaml', 'codes.yaml']) {
    const started = performance.now();
    const r = await runCli(['validate', file], { cwd: dir, timeoutMs: 600_000 });
    expect(r.code, r.stderr).toBe(0);
    console.log(`validate ${file} (1M values): ${((performance.now() - started) / 1000).toFixed(1)} s`);
  }
}, 1_200_000);

describe.each(DIALECTS)('1,000,000-value lists on %s', (dialect) => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase(dialect, 'long_lists_soak', { mysqlCollation: 'utf8mb4_general_ci' });
    const rows = Array.from({ length: PEOPLE }, (_, i) => ({ user_id: i + 1, code: `C${i + 1}` }));
    rows.push({ user_id: PEOPLE + 1, code: 'c3' }, { user_id: PEOPLE + 2, code: 'C3 ' }); // not C3
    await loadFixture(db, [
      { name: 'people', columns: { user_id: 'integer', code: 'string' }, rows, indexes: [['user_id'], ['code']] },
    ]);
  }, 900_000);
  afterAll(async () => db?.drop());

  async function people(j: Job, what: string): Promise<number[]> {
    const started = performance.now();
    const plan = planJob(j, resolveRunTime('2026-11-23T09:00:00', 'UTC'), dialectOf(db.connection));
    const warehouse = await openWarehouse('wh', db.connection);
    try {
      const out: number[] = [];
      for await (const batch of warehouse.stream(await renderForDialect(plan)))
        for (const r of batch) out.push(Number(r[0]));
      console.log(`${dialect}: ${what} ${((performance.now() - started) / 1000).toFixed(1)} s, ${out.length} people`);
      return out.sort((x, y) => x - y);
    } finally {
      await warehouse.close();
    }
  }

  it('in: 1M integer ids', async () => {
    const got = await people(ids, '1M ids in');
    expect(got).toHaveLength(ON_LIST);
    expect([got[0], got[1], got.at(-1)]).toEqual([3, 6, 100_002]);
  });

  it('not_in: 1M integer ids', async () => {
    const got = await people(notIn, '1M ids not_in');
    expect(got).toHaveLength(PEOPLE + 2 - ON_LIST);
    expect([got[0], got[1], got[2]]).toEqual([1, 2, 4]);
  });

  it('in: 1M codes, exact (c3 and "C3 " are not C3)', async () => {
    const got = await people(codes, '1M codes in');
    expect(got).toHaveLength(ON_LIST - 1); // C3…C99999; 100,002's code is 'C3 '
    expect(got.at(-1)).toBe(99_999);
  });
});
