// Expected SQL of one `watch` tick per dialect (issue 11): the trigger decides the A events
// that *matured* in the tick's slice [from, to) = [2026-11-23 08:59:00, 09:00:00), Asia/Shanghai.
// Pinned: the derived table's FROM and WHERE (after `ROW_NUMBER() ... from `), the part the
// slice changes; everything around it is the run's query (test/unit/sql-trigger.test.ts).
// Hive's statement is checked against its grammar too. Each bound is worked out beside the case.
import { describe, expect, it } from 'vitest';
import { renderHiveQuery } from '../../src/sql/hive/render-hive.ts';
import { renderQuery } from '../../src/sql/render-query.ts';
import { hiveSyntaxErrors } from '../support/hiveql.ts';
import { planTrigger } from '../support/planned-job.ts';

type Dialect = 'sqlite' | 'mysql' | 'postgres' | 'oracle' | 'hive';
const DIALECTS: Dialect[] = ['sqlite', 'mysql', 'postgres', 'oracle', 'hive'];
const SLICE = { from: '2026-11-23 08:59:00', to: '2026-11-23 09:00:00' };

function render(dialect: Dialect, trigger: string) {
  // The tick's own time (t = to + lateness) only matters to the other windows (converted).
  const plan = planTrigger(trigger, dialect, undefined, { at: '2026-11-23T09:01:00', slice: SLICE });
  return dialect === 'hive' ? renderHiveQuery(plan) : renderQuery(plan);
}

/** The derived table's FROM and WHERE. */
function derived(sql: string): string {
  const start = sql.indexOf(' from ', sql.indexOf('ROW_NUMBER()')) + ' from '.length;
  return sql.slice(start, sql.lastIndexOf(') '));
}

// Bounds by hand: plain [08:59, 09:00); W = 30m: [08:29, 08:30); chain 1h + 30m: A from
// 07:29, steps before 09:00, no chain before 08:59; both: A in [08:59 - 30m, 09:00 - 10m),
// and A >= 08:59 - 10m (the wait ends in the slice) or no chain before 08:59.
const cases: ({ feature: string; trigger: string; bindings: unknown[] } & Record<Dialect, string>)[] = [
  {
    feature: 'plain trigger: A matures at tA, so A in the slice itself',
    trigger: '{ table: events, event: view_item, within: 24h }',
    bindings: ['view_item', '2026-11-23 08:59:00', '2026-11-23 09:00:00'],
    sqlite: '`events` as `e` where `e`.`event_name` = ? and `e`.`event_time` >= ? and `e`.`event_time` < ?',
    mysql:
      '`events` as `e` where `e`.`event_name` = CAST(? AS BINARY) and `e`.`event_time` >= ? and `e`.`event_time` < ?',
    postgres: '"events" as "e" where "e"."event_name" = $1 and "e"."event_time" >= $2 and "e"."event_time" < $3',
    oracle:
      '"EVENTS" "E" where "E"."EVENT_NAME" = :1 and "E"."EVENT_TIME" >= TO_DATE(:2, \'YYYY-MM-DD HH24:MI:SS\') and "E"."EVENT_TIME" < TO_DATE(:3, \'YYYY-MM-DD HH24:MI:SS\')',
    hive: "`events` as `e` where `e`.`event_name` = 'view_item' and `e`.`event_time` >= TIMESTAMP '2026-11-23 08:59:00' and `e`.`event_time` < TIMESTAMP '2026-11-23 09:00:00'",
  },
  {
    feature: 'not_followed_by 30m: A matures at tA + W, so tA in [from - W, to - W); the NOT EXISTS is unchanged',
    trigger: '{ table: events, event: view_item, within: 24h, not_followed_by: { event: pay_order, within: 30m } }',
    bindings: ['view_item', '2026-11-23 08:29:00', '2026-11-23 08:30:00', 'pay_order', 1800],
    sqlite:
      "`events` as `e` where `e`.`event_name` = ? and `e`.`event_time` >= ? and `e`.`event_time` < ? and not exists (select 1 from `events` as `b` where `b`.`user_id` = `e`.`user_id` and `b`.`event_name` = ? and `b`.`event_time` > `e`.`event_time` and `b`.`event_time` <= datetime(`e`.`event_time`, '+' || ? || ' seconds'))",
    mysql:
      '`events` as `e` where `e`.`event_name` = CAST(? AS BINARY) and `e`.`event_time` >= ? and `e`.`event_time` < ? and not exists (select 1 from `events` as `b` where `b`.`user_id` = `e`.`user_id` and `b`.`event_name` = CAST(? AS BINARY) and `b`.`event_time` > `e`.`event_time` and `b`.`event_time` <= DATE_ADD(`e`.`event_time`, INTERVAL ? SECOND))',
    postgres:
      '"events" as "e" where "e"."event_name" = $1 and "e"."event_time" >= $2 and "e"."event_time" < $3 and not exists (select 1 from "events" as "b" where "b"."user_id" = "e"."user_id" and "b"."event_name" = $4 and "b"."event_time" > "e"."event_time" and "b"."event_time" <= ("e"."event_time" + CAST($5 AS integer) * INTERVAL \'1 second\'))',
    oracle:
      '"EVENTS" "E" where "E"."EVENT_NAME" = :1 and "E"."EVENT_TIME" >= TO_DATE(:2, \'YYYY-MM-DD HH24:MI:SS\') and "E"."EVENT_TIME" < TO_DATE(:3, \'YYYY-MM-DD HH24:MI:SS\') and not exists (select 1 from "EVENTS" "B" where "B"."USER_ID" = "E"."USER_ID" and "B"."EVENT_NAME" = :4 and "B"."EVENT_TIME" > "E"."EVENT_TIME" and "B"."EVENT_TIME" <= ("E"."EVENT_TIME" + NUMTODSINTERVAL(:5, \'SECOND\')))',
    hive: "`events` as `e` where `e`.`event_name` = 'view_item' and `e`.`event_time` >= TIMESTAMP '2026-11-23 08:29:00' and `e`.`event_time` < TIMESTAMP '2026-11-23 08:30:00' and not exists (select 1 from `events` as `b` where `b`.`user_id` = `e`.`user_id` and `b`.`event_name` = 'pay_order' and `b`.`event_time` > `e`.`event_time` and `b`.`event_time` <= (`e`.`event_time` + INTERVAL '1800' SECOND))",
  },
  {
    feature:
      "followed_by (1h, 30m): A matures at its chain's last step: a chain before `to`, none before `from`; tA bounded by from - (1h + 30m), not by within",
    trigger:
      '{ table: events, event: view_item, within: 24h, followed_by: [{ event: add_cart, within: 1h }, { event: checkout, within: 30m }] }',
    bindings: [
      'view_item',
      '2026-11-23 07:29:00',
      '2026-11-23 09:00:00',
      'add_cart',
      3600,
      '2026-11-23 09:00:00',
      'checkout',
      1800,
      '2026-11-23 09:00:00',
      'add_cart',
      3600,
      '2026-11-23 08:59:00',
      'checkout',
      1800,
      '2026-11-23 08:59:00',
    ],
    sqlite:
      "`events` as `e` where `e`.`event_name` = ? and `e`.`event_time` >= ? and `e`.`event_time` < ? and exists (select 1 from `events` as `s1` where `s1`.`user_id` = `e`.`user_id` and `s1`.`event_name` = ? and `s1`.`event_time` > `e`.`event_time` and `s1`.`event_time` <= datetime(`e`.`event_time`, '+' || ? || ' seconds') and `s1`.`event_time` < ? and exists (select 1 from `events` as `s2` where `s2`.`user_id` = `s1`.`user_id` and `s2`.`event_name` = ? and `s2`.`event_time` > `s1`.`event_time` and `s2`.`event_time` <= datetime(`s1`.`event_time`, '+' || ? || ' seconds') and `s2`.`event_time` < ?)) and not exists (select 1 from `events` as `s1` where `s1`.`user_id` = `e`.`user_id` and `s1`.`event_name` = ? and `s1`.`event_time` > `e`.`event_time` and `s1`.`event_time` <= datetime(`e`.`event_time`, '+' || ? || ' seconds') and `s1`.`event_time` < ? and exists (select 1 from `events` as `s2` where `s2`.`user_id` = `s1`.`user_id` and `s2`.`event_name` = ? and `s2`.`event_time` > `s1`.`event_time` and `s2`.`event_time` <= datetime(`s1`.`event_time`, '+' || ? || ' seconds') and `s2`.`event_time` < ?))",
    mysql:
      '`events` as `e` where `e`.`event_name` = CAST(? AS BINARY) and `e`.`event_time` >= ? and `e`.`event_time` < ? and exists (select 1 from `events` as `s1` where `s1`.`user_id` = `e`.`user_id` and `s1`.`event_name` = CAST(? AS BINARY) and `s1`.`event_time` > `e`.`event_time` and `s1`.`event_time` <= DATE_ADD(`e`.`event_time`, INTERVAL ? SECOND) and `s1`.`event_time` < ? and exists (select 1 from `events` as `s2` where `s2`.`user_id` = `s1`.`user_id` and `s2`.`event_name` = CAST(? AS BINARY) and `s2`.`event_time` > `s1`.`event_time` and `s2`.`event_time` <= DATE_ADD(`s1`.`event_time`, INTERVAL ? SECOND) and `s2`.`event_time` < ?)) and not exists (select 1 from `events` as `s1` where `s1`.`user_id` = `e`.`user_id` and `s1`.`event_name` = CAST(? AS BINARY) and `s1`.`event_time` > `e`.`event_time` and `s1`.`event_time` <= DATE_ADD(`e`.`event_time`, INTERVAL ? SECOND) and `s1`.`event_time` < ? and exists (select 1 from `events` as `s2` where `s2`.`user_id` = `s1`.`user_id` and `s2`.`event_name` = CAST(? AS BINARY) and `s2`.`event_time` > `s1`.`event_time` and `s2`.`event_time` <= DATE_ADD(`s1`.`event_time`, INTERVAL ? SECOND) and `s2`.`event_time` < ?))',
    postgres:
      '"events" as "e" where "e"."event_name" = $1 and "e"."event_time" >= $2 and "e"."event_time" < $3 and exists (select 1 from "events" as "s1" where "s1"."user_id" = "e"."user_id" and "s1"."event_name" = $4 and "s1"."event_time" > "e"."event_time" and "s1"."event_time" <= ("e"."event_time" + CAST($5 AS integer) * INTERVAL \'1 second\') and "s1"."event_time" < $6 and exists (select 1 from "events" as "s2" where "s2"."user_id" = "s1"."user_id" and "s2"."event_name" = $7 and "s2"."event_time" > "s1"."event_time" and "s2"."event_time" <= ("s1"."event_time" + CAST($8 AS integer) * INTERVAL \'1 second\') and "s2"."event_time" < $9)) and not exists (select 1 from "events" as "s1" where "s1"."user_id" = "e"."user_id" and "s1"."event_name" = $10 and "s1"."event_time" > "e"."event_time" and "s1"."event_time" <= ("e"."event_time" + CAST($11 AS integer) * INTERVAL \'1 second\') and "s1"."event_time" < $12 and exists (select 1 from "events" as "s2" where "s2"."user_id" = "s1"."user_id" and "s2"."event_name" = $13 and "s2"."event_time" > "s1"."event_time" and "s2"."event_time" <= ("s1"."event_time" + CAST($14 AS integer) * INTERVAL \'1 second\') and "s2"."event_time" < $15))',
    oracle:
      '"EVENTS" "E" where "E"."EVENT_NAME" = :1 and "E"."EVENT_TIME" >= TO_DATE(:2, \'YYYY-MM-DD HH24:MI:SS\') and "E"."EVENT_TIME" < TO_DATE(:3, \'YYYY-MM-DD HH24:MI:SS\') and exists (select 1 from "EVENTS" "S1" where "S1"."USER_ID" = "E"."USER_ID" and "S1"."EVENT_NAME" = :4 and "S1"."EVENT_TIME" > "E"."EVENT_TIME" and "S1"."EVENT_TIME" <= ("E"."EVENT_TIME" + NUMTODSINTERVAL(:5, \'SECOND\')) and "S1"."EVENT_TIME" < TO_DATE(:6, \'YYYY-MM-DD HH24:MI:SS\') and exists (select 1 from "EVENTS" "S2" where "S2"."USER_ID" = "S1"."USER_ID" and "S2"."EVENT_NAME" = :7 and "S2"."EVENT_TIME" > "S1"."EVENT_TIME" and "S2"."EVENT_TIME" <= ("S1"."EVENT_TIME" + NUMTODSINTERVAL(:8, \'SECOND\')) and "S2"."EVENT_TIME" < TO_DATE(:9, \'YYYY-MM-DD HH24:MI:SS\'))) and not exists (select 1 from "EVENTS" "S1" where "S1"."USER_ID" = "E"."USER_ID" and "S1"."EVENT_NAME" = :10 and "S1"."EVENT_TIME" > "E"."EVENT_TIME" and "S1"."EVENT_TIME" <= ("E"."EVENT_TIME" + NUMTODSINTERVAL(:11, \'SECOND\')) and "S1"."EVENT_TIME" < TO_DATE(:12, \'YYYY-MM-DD HH24:MI:SS\') and exists (select 1 from "EVENTS" "S2" where "S2"."USER_ID" = "S1"."USER_ID" and "S2"."EVENT_NAME" = :13 and "S2"."EVENT_TIME" > "S1"."EVENT_TIME" and "S2"."EVENT_TIME" <= ("S1"."EVENT_TIME" + NUMTODSINTERVAL(:14, \'SECOND\')) and "S2"."EVENT_TIME" < TO_DATE(:15, \'YYYY-MM-DD HH24:MI:SS\')))',
    hive: "`events` as `e` where `e`.`event_name` = 'view_item' and `e`.`event_time` >= TIMESTAMP '2026-11-23 07:29:00' and `e`.`event_time` < TIMESTAMP '2026-11-23 09:00:00' and exists (select 1 from `events` as `s1` where `s1`.`user_id` = `e`.`user_id` and `s1`.`event_name` = 'add_cart' and `s1`.`event_time` > `e`.`event_time` and `s1`.`event_time` <= (`e`.`event_time` + INTERVAL '3600' SECOND) and `s1`.`event_time` < TIMESTAMP '2026-11-23 09:00:00' and exists (select 1 from `events` as `s2` where `s2`.`user_id` = `s1`.`user_id` and `s2`.`event_name` = 'checkout' and `s2`.`event_time` > `s1`.`event_time` and `s2`.`event_time` <= (`s1`.`event_time` + INTERVAL '1800' SECOND) and `s2`.`event_time` < TIMESTAMP '2026-11-23 09:00:00')) and not exists (select 1 from `events` as `s1` where `s1`.`user_id` = `e`.`user_id` and `s1`.`event_name` = 'add_cart' and `s1`.`event_time` > `e`.`event_time` and `s1`.`event_time` <= (`e`.`event_time` + INTERVAL '3600' SECOND) and `s1`.`event_time` < TIMESTAMP '2026-11-23 08:59:00' and exists (select 1 from `events` as `s2` where `s2`.`user_id` = `s1`.`user_id` and `s2`.`event_name` = 'checkout' and `s2`.`event_time` > `s1`.`event_time` and `s2`.`event_time` <= (`s1`.`event_time` + INTERVAL '1800' SECOND) and `s2`.`event_time` < TIMESTAMP '2026-11-23 08:59:00'))",
  },
  {
    feature:
      'both (wait 10m, chain 30m): the later of the two: tA + W < to, a chain before `to`, and either the wait ends in the slice or no chain completed before it',
    trigger:
      '{ table: events, event: view_item, within: 24h, not_followed_by: { event: pay_order, within: 10m }, followed_by: [{ event: add_cart, within: 30m }] }',
    bindings: [
      'view_item',
      '2026-11-23 08:29:00',
      '2026-11-23 08:50:00',
      'pay_order',
      600,
      'add_cart',
      1800,
      '2026-11-23 09:00:00',
      '2026-11-23 08:49:00',
      'add_cart',
      1800,
      '2026-11-23 08:59:00',
    ],
    sqlite:
      "`events` as `e` where `e`.`event_name` = ? and `e`.`event_time` >= ? and `e`.`event_time` < ? and not exists (select 1 from `events` as `b` where `b`.`user_id` = `e`.`user_id` and `b`.`event_name` = ? and `b`.`event_time` > `e`.`event_time` and `b`.`event_time` <= datetime(`e`.`event_time`, '+' || ? || ' seconds')) and exists (select 1 from `events` as `s1` where `s1`.`user_id` = `e`.`user_id` and `s1`.`event_name` = ? and `s1`.`event_time` > `e`.`event_time` and `s1`.`event_time` <= datetime(`e`.`event_time`, '+' || ? || ' seconds') and `s1`.`event_time` < ?) and (`e`.`event_time` >= ? or not exists (select 1 from `events` as `s1` where `s1`.`user_id` = `e`.`user_id` and `s1`.`event_name` = ? and `s1`.`event_time` > `e`.`event_time` and `s1`.`event_time` <= datetime(`e`.`event_time`, '+' || ? || ' seconds') and `s1`.`event_time` < ?))",
    mysql:
      '`events` as `e` where `e`.`event_name` = CAST(? AS BINARY) and `e`.`event_time` >= ? and `e`.`event_time` < ? and not exists (select 1 from `events` as `b` where `b`.`user_id` = `e`.`user_id` and `b`.`event_name` = CAST(? AS BINARY) and `b`.`event_time` > `e`.`event_time` and `b`.`event_time` <= DATE_ADD(`e`.`event_time`, INTERVAL ? SECOND)) and exists (select 1 from `events` as `s1` where `s1`.`user_id` = `e`.`user_id` and `s1`.`event_name` = CAST(? AS BINARY) and `s1`.`event_time` > `e`.`event_time` and `s1`.`event_time` <= DATE_ADD(`e`.`event_time`, INTERVAL ? SECOND) and `s1`.`event_time` < ?) and (`e`.`event_time` >= ? or not exists (select 1 from `events` as `s1` where `s1`.`user_id` = `e`.`user_id` and `s1`.`event_name` = CAST(? AS BINARY) and `s1`.`event_time` > `e`.`event_time` and `s1`.`event_time` <= DATE_ADD(`e`.`event_time`, INTERVAL ? SECOND) and `s1`.`event_time` < ?))',
    postgres:
      '"events" as "e" where "e"."event_name" = $1 and "e"."event_time" >= $2 and "e"."event_time" < $3 and not exists (select 1 from "events" as "b" where "b"."user_id" = "e"."user_id" and "b"."event_name" = $4 and "b"."event_time" > "e"."event_time" and "b"."event_time" <= ("e"."event_time" + CAST($5 AS integer) * INTERVAL \'1 second\')) and exists (select 1 from "events" as "s1" where "s1"."user_id" = "e"."user_id" and "s1"."event_name" = $6 and "s1"."event_time" > "e"."event_time" and "s1"."event_time" <= ("e"."event_time" + CAST($7 AS integer) * INTERVAL \'1 second\') and "s1"."event_time" < $8) and ("e"."event_time" >= $9 or not exists (select 1 from "events" as "s1" where "s1"."user_id" = "e"."user_id" and "s1"."event_name" = $10 and "s1"."event_time" > "e"."event_time" and "s1"."event_time" <= ("e"."event_time" + CAST($11 AS integer) * INTERVAL \'1 second\') and "s1"."event_time" < $12))',
    oracle:
      '"EVENTS" "E" where "E"."EVENT_NAME" = :1 and "E"."EVENT_TIME" >= TO_DATE(:2, \'YYYY-MM-DD HH24:MI:SS\') and "E"."EVENT_TIME" < TO_DATE(:3, \'YYYY-MM-DD HH24:MI:SS\') and not exists (select 1 from "EVENTS" "B" where "B"."USER_ID" = "E"."USER_ID" and "B"."EVENT_NAME" = :4 and "B"."EVENT_TIME" > "E"."EVENT_TIME" and "B"."EVENT_TIME" <= ("E"."EVENT_TIME" + NUMTODSINTERVAL(:5, \'SECOND\'))) and exists (select 1 from "EVENTS" "S1" where "S1"."USER_ID" = "E"."USER_ID" and "S1"."EVENT_NAME" = :6 and "S1"."EVENT_TIME" > "E"."EVENT_TIME" and "S1"."EVENT_TIME" <= ("E"."EVENT_TIME" + NUMTODSINTERVAL(:7, \'SECOND\')) and "S1"."EVENT_TIME" < TO_DATE(:8, \'YYYY-MM-DD HH24:MI:SS\')) and ("E"."EVENT_TIME" >= TO_DATE(:9, \'YYYY-MM-DD HH24:MI:SS\') or not exists (select 1 from "EVENTS" "S1" where "S1"."USER_ID" = "E"."USER_ID" and "S1"."EVENT_NAME" = :10 and "S1"."EVENT_TIME" > "E"."EVENT_TIME" and "S1"."EVENT_TIME" <= ("E"."EVENT_TIME" + NUMTODSINTERVAL(:11, \'SECOND\')) and "S1"."EVENT_TIME" < TO_DATE(:12, \'YYYY-MM-DD HH24:MI:SS\')))',
    hive: "`events` as `e` where `e`.`event_name` = 'view_item' and `e`.`event_time` >= TIMESTAMP '2026-11-23 08:29:00' and `e`.`event_time` < TIMESTAMP '2026-11-23 08:50:00' and not exists (select 1 from `events` as `b` where `b`.`user_id` = `e`.`user_id` and `b`.`event_name` = 'pay_order' and `b`.`event_time` > `e`.`event_time` and `b`.`event_time` <= (`e`.`event_time` + INTERVAL '600' SECOND)) and exists (select 1 from `events` as `s1` where `s1`.`user_id` = `e`.`user_id` and `s1`.`event_name` = 'add_cart' and `s1`.`event_time` > `e`.`event_time` and `s1`.`event_time` <= (`e`.`event_time` + INTERVAL '1800' SECOND) and `s1`.`event_time` < TIMESTAMP '2026-11-23 09:00:00') and (`e`.`event_time` >= TIMESTAMP '2026-11-23 08:49:00' or not exists (select 1 from `events` as `s1` where `s1`.`user_id` = `e`.`user_id` and `s1`.`event_name` = 'add_cart' and `s1`.`event_time` > `e`.`event_time` and `s1`.`event_time` <= (`e`.`event_time` + INTERVAL '1800' SECOND) and `s1`.`event_time` < TIMESTAMP '2026-11-23 08:59:00'))",
  },
];

describe('watch tick SQL: the A events that matured in [from, to), per dialect', () => {
  for (const c of cases)
    for (const dialect of DIALECTS)
      it(`${dialect}: ${c.feature}`, () => {
        const { sql, bindings } = render(dialect, c.trigger);
        expect(derived(sql)).toBe(c[dialect]);
        if (dialect === 'hive') expect(hiveSyntaxErrors(sql)).toEqual([]);
        else expect(bindings).toEqual(c.bindings);
      });

  it('reads A events bounded by the slice, not by trigger.within (a 30d within changes nothing)', () => {
    const narrow = render('mysql', cases[1].trigger);
    const wide = render('mysql', cases[1].trigger.replace('within: 24h', 'within: 30d'));
    expect(wide).toEqual(narrow);
  });

  it('run keeps its window: the same job without a slice reads [at - within, at)', () => {
    const { bindings } = renderQuery(planTrigger(cases[0].trigger, 'mysql'));
    expect(bindings).toEqual(['view_item', '2026-11-22 09:00:00', '2026-11-23 09:00:00']);
  });
});
