// Issue 9.4: a `where` list of 40,000 values works on every engine (SQLite used to fail with
// "too many SQL variables", PostgreSQL above 65,535 values), compares exactly as a short list
// does (MariaDB under its default utf8mb4_general_ci; integers beyond 2^53 not rounded), and
// follows three-valued logic for not_in. The 1,000,000-value case: test/soak/long-lists.soak.ts.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createTestDatabase,
  DIALECTS,
  type FixtureTable,
  loadFixture,
  type TestDatabase,
} from '../support/databases.ts';
import { jobRows, jobText } from '../support/job-leads.ts';

const BIG = '9007199254740993'; // 2^53 + 1: a double cannot hold it (it rounds to 2^53)

const TABLES: FixtureTable[] = [
  {
    name: 'dim_user',
    columns: { user_id: 'bigInteger', code: 'string' },
    rows: [
      { user_id: 1, code: 'A1' },
      { user_id: 2, code: 'a1' }, // case variant of A1
      { user_id: 3, code: 'A1 ' }, // A1 with a trailing space
      { user_id: 4, code: null },
      { user_id: 5, code: 'C5' },
      { user_id: 6, code: 'Ｃ6' }, // full-width C: not C6
      { user_id: 7, code: '07' },
      { user_id: BIG, code: 'big' },
    ],
    indexes: [['code']],
  },
  {
    name: 'user_tag',
    columns: { user_id: 'bigInteger', tag: 'string' },
    rows: [
      { user_id: 1, tag: 'T1' },
      { user_id: 2, tag: 't1' },
      { user_id: 5, tag: 'T5' },
    ],
  },
];

// 40,000 odd ids 1, 3, …, 79,999: users 1, 3, 5, 7 are on it. (Reading the YAML of a list
// this long takes the yaml library over a second, so the other lists are 1,500 long: past
// LONG_LIST, the same single-parameter form.)
const ODD_IDS = Array.from({ length: 40_000 }, (_, i) => 2 * i + 1).join(', ');
const SOME_ODD_IDS = Array.from({ length: 1_500 }, (_, i) => 2 * i + 1).join(', ');
// 1,500 codes C0 … C1499 and A1: only user 1's code and C5 are on it exactly.
const CODES = ['A1', ...Array.from({ length: 1_500 }, (_, i) => `C${i}`)].join(', ');
const TAGS = ['T1', ...Array.from({ length: 1_500 }, (_, i) => `X${i}`)].join(', ');

const job = (where: string) => jobText(`audience: { table: dim_user, where: ${where} }\nlead: { fields: [user_id] }`);

// [what, where, people]: each answer by hand from the rows above.
const CASES: [string, string, string[]][] = [
  // 2^53 is a neighbour of BIG: a list rounded through a double would pick BIG.
  ['40,000 ids in', `{ user_id: [${ODD_IDS}, 9007199254740992] }`, ['1', '3', '5', '7']],
  ['ids in, 2^53+1 itself', `{ user_id: [${SOME_ODD_IDS}, ${BIG}] }`, ['1', '3', '5', '7', BIG]],
  ['ids not_in', `{ user_id: { not_in: [${SOME_ODD_IDS}] } }`, ['2', '4', '6', BIG]],
  ['codes in: exact text', `{ code: [${CODES}] }`, ['1', '5']],
  // code NULL (user 4) is neither in nor not in the list: three-valued logic, as for a short list.
  ['codes not_in', `{ code: { not_in: [${CODES}] } }`, ['2', '3', '6', '7', BIG]],
  // Text and numbers in one list (one JSON_TABLE each on MariaDB): the number 5 is no code.
  ['mixed list on a text column', `{ code: [${CODES}, 7, 5, "07"] }`, ['1', '5', '7']],
];

describe.each(DIALECTS)('long lists on %s', (dialect) => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase(dialect, 'long_lists', { mysqlCollation: 'utf8mb4_general_ci' });
    await loadFixture(db, TABLES);
  }, 60_000);
  afterAll(async () => db?.drop());

  const keys = async (text: string) => (await jobRows(db, text)).map((r) => String(r[0])).sort();

  it.each(CASES)('%s', async (_what, where, people) => {
    expect(await keys(job(where))).toEqual(people.sort());
  });

  it('tags any: a long tag list', async () => {
    const text = jobText(
      `audience: { table: dim_user, tags: { table: user_tag, any: [${TAGS}] } }\nlead: { fields: [user_id] }`,
    );
    expect(await keys(text)).toEqual(['1']);
  });
});
