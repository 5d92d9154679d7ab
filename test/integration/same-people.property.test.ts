// Property (issue 9, "Done when"): for generated people and a generated condition, SQLite,
// MariaDB (the server's default utf8mb4_general_ci) and PostgreSQL pick the same people, and
// the same as an in-process oracle that compares text by code point and integers exactly.
// Values are chosen to trip engines up: case variants, trailing and leading spaces, full-width
// forms, leading zeros, ß against s and ss, LIKE's own `_`, integers around 2^53 and 2^63, NULLs,
// and lists long enough (past LONG_LIST) to take the single-parameter form.
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LONG_LIST } from '../../src/sql/value-list.ts';
import { createTestDatabase, DIALECTS, loadFixture, type TestDatabase } from '../support/databases.ts';
import { jobRows, jobText } from '../support/job-leads.ts';

const RUNS = 25;

const fullWidth = (s: string) => s.replace(/[!-~]/g, (c) => String.fromCharCode(c.charCodeAt(0) + 0xfee0));
const BASES = ['ab', 'x_y', '7', 's'];
const TEXTS = [
  ...new Set(
    BASES.flatMap((b) => [b, b.toUpperCase(), `${b} `, `${b}  `, ` ${b}`, fullWidth(b), `0${b}`, `00${b}`]).concat([
      'ß',
      'ss',
      'SS',
    ]),
  ),
];
const INTEGERS = [0n, 7n, -7n, 2n ** 53n - 1n, 2n ** 53n, 2n ** 53n + 1n, 2n ** 63n - 1n, -(2n ** 63n)];

interface Person {
  code: string | null;
  num: bigint | null;
}

type Condition =
  | { column: 'code'; op: 'eq' | 'ne'; value: string }
  | { column: 'code'; op: 'in' | 'not_in'; values: string[] }
  | { column: 'code'; op: 'like'; prefix: string }
  | { column: 'num'; op: 'eq' | 'ne'; value: bigint }
  | { column: 'num'; op: 'in' | 'not_in'; values: bigint[] };

const text = fc.constantFrom(...TEXTS);
const integer = fc.constantFrom(...INTEGERS);
const person = fc.record({ code: fc.option(text, { nil: null }), num: fc.option(integer, { nil: null }) });
// A list, sometimes padded past LONG_LIST with values no one has.
const list = <T>(item: fc.Arbitrary<T>, pad: (i: number) => T) =>
  fc
    .tuple(fc.array(item, { minLength: 1, maxLength: 4 }), fc.boolean())
    .map(([values, long]) => (long ? [...values, ...Array.from({ length: LONG_LIST + 1 }, (_, i) => pad(i))] : values));
const condition: fc.Arbitrary<Condition> = fc.oneof(
  fc.record({ column: fc.constant('code' as const), op: fc.constantFrom('eq' as const, 'ne' as const), value: text }),
  fc.record({
    column: fc.constant('code' as const),
    op: fc.constantFrom('in' as const, 'not_in' as const),
    values: list(text, (i) => `zz${i}`),
  }),
  fc.record({
    column: fc.constant('code' as const),
    op: fc.constant('like' as const),
    prefix: text.map((t) => t.slice(0, 2)),
  }),
  fc.record({ column: fc.constant('num' as const), op: fc.constantFrom('eq' as const, 'ne' as const), value: integer }),
  fc.record({
    column: fc.constant('num' as const),
    op: fc.constantFrom('in' as const, 'not_in' as const),
    values: list(integer, (i) => BigInt(1_000_000 + i)),
  }),
);

// YAML for one value: text double-quoted (JSON escapes are YAML's), integers bare.
const yamlValue = (v: string | bigint) => (typeof v === 'string' ? JSON.stringify(v) : v.toString());
const escapeLike = (s: string) => s.replace(/[\\%_]/g, (c) => `\\${c}`);

function whereYaml(c: Condition): string {
  switch (c.op) {
    case 'eq':
    case 'ne':
      return `{ ${c.column}: { ${c.op}: ${yamlValue(c.value)} } }`;
    case 'in':
    case 'not_in':
      return `{ ${c.column}: { ${c.op}: [${c.values.map(yamlValue).join(', ')}] } }`;
    case 'like':
      return `{ code: { like: ${JSON.stringify(`${escapeLike(c.prefix)}%`)} } }`;
  }
}

/** The oracle: code-point text, exact integers, and NULL matching no condition. */
function expected(people: Person[], c: Condition): number[] {
  return people.flatMap((p, i) => (matches(p[c.column], c) ? [i + 1] : []));
}

function matches(v: string | bigint | null, c: Condition): boolean {
  if (v === null) return false;
  switch (c.op) {
    case 'eq':
      return v === c.value;
    case 'ne':
      return v !== c.value;
    case 'in':
      return (c.values as unknown[]).includes(v);
    case 'not_in':
      return !(c.values as unknown[]).includes(v);
    case 'like':
      return (v as string).startsWith(c.prefix);
  }
}

describe('the same people on SQLite, MariaDB (general_ci) and PostgreSQL', () => {
  const dbs: TestDatabase[] = [];
  beforeAll(async () => {
    for (const dialect of DIALECTS) {
      const db = await createTestDatabase(dialect, 'same_people', { mysqlCollation: 'utf8mb4_general_ci' });
      await loadFixture(db, [
        { name: 'people', columns: { user_id: 'integer', code: 'string', num: 'bigInteger' }, rows: [] },
      ]);
      dbs.push(db);
    }
  }, 60_000);
  afterAll(async () => {
    for (const db of dbs) await db.drop();
  });

  it(`${RUNS} generated datasets and conditions`, async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(person, { minLength: 1, maxLength: 10 }), condition, async (people, c) => {
        const job = jobText(`audience: { table: people, where: ${whereYaml(c)} }\nlead: { fields: [user_id] }`);
        const want = expected(people, c);
        for (const db of dbs) {
          await db.knex('people').delete();
          await db.knex('people').insert(
            // Integers as text: every driver binds them exactly.
            people.map((p, i) => ({ user_id: i + 1, code: p.code, num: p.num === null ? null : p.num.toString() })),
          );
          const got = (await jobRows(db, job)).map((r) => Number(r[0])).sort((a, b) => a - b);
          expect(
            got,
            `${db.dialect}: ${whereYaml(c).slice(0, 200)} on ${JSON.stringify(people, (_, v) => (typeof v === 'bigint' ? `${v}n` : v))}`,
          ).toEqual(want);
        }
      }),
      { numRuns: RUNS },
    );
  }, 120_000);
});
