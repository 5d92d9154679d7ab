// Issue 9.4, the heavy case: `where` lists of 1,000,000 ids and of 1,000,000 codes against a
// 100,000-person table on SQLite, MariaDB (utf8mb4_general_ci) and PostgreSQL. Each run prints
// its time (the README's "Long lists" figures come from here); the people are checked by
// count and by hand at the edges. The job file is read once: reading a million-value YAML
// list is engine-independent and timed on its own.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dialectOf } from '../../src/config/connection-schema.ts';
import { loadJob, type Job } from '../../src/config/load-job.ts';
import { planJob } from '../../src/plan/plan.ts';
import { resolveRunTime } from '../../src/plan/time.ts';
import { renderForDialect } from '../../src/sql/render.ts';
import { openWarehouse } from '../../src/warehouses/open-warehouse.ts';
import { createTestDatabase, DIALECTS, loadFixture, type TestDatabase } from '../support/databases.ts';

const PEOPLE = 100_000; // user_id 1..100,000, code 'C<id>'
const LIST = 1_000_000;
// Every third id from 3 up to 3,000,000: the people whose id is a multiple of 3 (33,334 with
// the two extra people 100,001 and 100,002 below).
const IDS = Array.from({ length: LIST }, (_, i) => 3 * (i + 1));
const ON_LIST = Math.floor((PEOPLE + 2) / 3);

function job(where: string): { job: Job; seconds: number } {
  const started = performance.now();
  const text = `name: t\nsource: wh\ntimezone: UTC\naudience: { table: people, where: ${where} }\nlead: { fields: [user_id] }\n`;
  const loaded = loadJob('/virtual/long-list.yaml', undefined, {}, text);
  return { job: loaded, seconds: (performance.now() - started) / 1000 };
}

let ids: Job;
let codes: Job;
let notIn: Job;
beforeAll(() => {
  const a = job(`{ user_id: [${IDS.join(', ')}] }`);
  const b = job(`{ code: [${IDS.map((i) => `C${i}`).join(', ')}] }`);
  notIn = job(`{ user_id: { not_in: [${IDS.join(', ')}] } }`).job;
  ids = a.job;
  codes = b.job;
  console.log(`reading the job file: 1M ids ${a.seconds.toFixed(1)} s, 1M codes ${b.seconds.toFixed(1)} s`);
});

describe.each(DIALECTS)('1,000,000-value lists on %s', (dialect) => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase(dialect, 'long_lists_soak', { mysqlCollation: 'utf8mb4_general_ci' });
    const rows = Array.from({ length: PEOPLE }, (_, i) => ({ user_id: i + 1, code: `C${i + 1}` }));
    rows.push({ user_id: PEOPLE + 1, code: 'c3' }, { user_id: PEOPLE + 2, code: 'C3 ' }); // not C3
    await loadFixture(db, [
      { name: 'people', columns: { user_id: 'integer', code: 'string' }, rows, indexes: [['user_id'], ['code']] },
    ]);
  }, 300_000);
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
