// The SQL of a long `in`/`not_in` list per dialect (issue 9.4): one bound parameter past
// LONG_LIST values on the engines with bound parameters, IN (literals) on Hive. The engines
// run these forms in test/integration/long-lists.test.ts; Oracle has no server here, so its
// form is checked as text.
import { describe, expect, it } from 'vitest';
import { loadJob } from '../../src/config/load-job.ts';
import { planJob } from '../../src/plan/plan.ts';
import { resolveRunTime } from '../../src/plan/time.ts';
import { renderHiveQuery } from '../../src/sql/hive/render-hive.ts';
import { renderQuery } from '../../src/sql/render-query.ts';
import { LONG_LIST, listSql } from '../../src/sql/value-list.ts';
import { hiveSyntaxErrors } from '../support/hiveql.ts';

const IDS = Array.from({ length: LONG_LIST + 1 }, (_, i) => i + 1);
const CODES = IDS.map((i) => `C${i}`);

function plan(where: string, dialect: 'oracle' | 'hive' | 'postgres') {
  const job = loadJob(
    '/virtual/long-list.yaml',
    undefined,
    {},
    `name: t\nsource: wh\ntimezone: UTC\naudience: { table: dim_user, where: ${where} }\nlead: { fields: [user_id] }\n`,
  );
  return planJob(job, resolveRunTime('2026-11-23T09:00:00', 'UTC'), dialect);
}

describe('long lists', () => {
  it('a short list keeps IN (?, …) (duplicates dropped)', () => {
    expect(listSql('postgres', 'a.x', [1, 2, 2, '2'], false)).toEqual({
      sql: '?? in (?, ?, ?)',
      bindings: ['a.x', 1, 2, '2'],
    });
    expect(listSql('mysql', 'a.x', ['M', 3], true)).toEqual({
      sql: '?? not in (CAST(? AS BINARY), ?)',
      bindings: ['a.x', 'M', 3],
    });
  });

  it('PostgreSQL: = ANY / <> ALL of one array literal, every element quoted', () => {
    const values = [...CODES.slice(0, LONG_LIST), 'say "hi"', 'back\\slash', 9007199254740993n];
    const { sql, bindings } = listSql('postgres', 'a.x', values, false);
    expect(sql).toBe('?? = ANY(?)');
    expect(bindings[1]).toMatch(/^\{"C1","C2",.*,"say \\"hi\\"","back\\\\slash","9007199254740993"\}$/);
    expect(listSql('postgres', 'a.x', IDS, true).sql).toBe('?? <> ALL(?)');
  });

  it('SQLite: IN (SELECT value FROM json_each(?)), integers with every digit, booleans 1/0', () => {
    const { sql, bindings } = listSql('sqlite', 'a.x', [...IDS, 9007199254740993n, true, 'x'], true);
    expect(sql).toBe('?? not in (select value from json_each(?))');
    expect(JSON.parse(String(bindings[1])).length).toBe(IDS.length + 3);
    expect(String(bindings[1])).toMatch(/,1001,9007199254740993,1,"x"\]$/);
  });

  it('MariaDB: one JSON_TABLE per kind of value; text against CAST(col AS BINARY)', () => {
    const { sql, bindings } = listSql('mysql', 'a.x', [...CODES, ...IDS, 2n ** 64n, 1.5], false);
    expect(sql).toBe(
      "(CAST(?? AS BINARY) in (select list_value from json_table(?, '$[*]' columns (list_value VARBINARY(5) path '$')) as list_values)" +
        " or ?? in (select list_value from json_table(?, '$[*]' columns (list_value DECIMAL(65,0) path '$')) as list_values)" +
        " or ?? in (select list_value from json_table(?, '$[*]' columns (list_value DOUBLE path '$')) as list_values))",
    );
    expect(bindings.filter((_, i) => i % 2 === 0)).toEqual(['a.x', 'a.x', 'a.x']);
    expect(bindings[3]).toMatch(/,1001,18446744073709551616\]$/);
    expect(bindings[5]).toBe('[1.5]');
    expect(listSql('mysql', 'a.x', IDS, true).sql).toBe(
      "not (?? in (select list_value from json_table(?, '$[*]' columns (list_value BIGINT path '$')) as list_values))",
    );
  });

  it('Oracle: JSON_TABLE with one bound document', () => {
    const { sql, bindings } = renderQuery(plan(`{ city: [${CODES.join(', ')}] }`, 'oracle'));
    expect(sql).toBe(
      'select "A"."USER_ID" from "DIM_USER" "A" where "A"."CITY" in (select list_value from json_table(:1, \'$[*]\' columns (list_value VARCHAR2(5) path \'$\')))',
    );
    expect(bindings).toEqual([JSON.stringify(CODES)]);
  });

  it('Hive: IN of escaped literals, accepted by the HiveQL grammar', () => {
    const { sql } = renderHiveQuery(plan(`{ city: ["it's", ${CODES.join(', ')}] }`, 'hive'));
    expect(sql).toContain("where `a`.`city` in ('it\\'s', 'C1', 'C2', ");
    expect(sql).toContain(", 'C1001')");
    expect(hiveSyntaxErrors(sql)).toEqual([]);
  });

  it('PostgreSQL renders the job with one binding', () => {
    const { sql, bindings } = renderQuery(plan(`{ user_id: { not_in: [${IDS.join(', ')}] } }`, 'postgres'));
    expect(sql).toBe('select "a"."user_id" from "dim_user" as "a" where "a"."user_id" <> ALL($1)');
    expect(bindings).toHaveLength(1);
  });
});
