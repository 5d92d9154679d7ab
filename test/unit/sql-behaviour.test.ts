// Expected SQL per dialect for counted behaviour (audience.behaviour, issue 13), and the spec's
// checks on it. The run time is 2026-11-23 09:00:00 in Asia/Shanghai: the 30d window is
// [2026-10-24 09:00:00, at), the 7d window [2026-11-16 09:00:00, at). The knex family writes
// EXISTS (select count(*) ... having ...), Hive a LEFT JOIN to a grouped subquery.
import { describe, expect, it } from 'vitest';
import { SpecError, type SpecIssue } from '../../src/errors.ts';
import { renderCount, renderQuery } from '../../src/sql/render-query.ts';
import { renderHiveQuery } from '../../src/sql/hive/render-hive.ts';
import { rulesFor } from '../../src/sql/audience-rules.ts';
import { loadJob } from '../../src/config/load-job.ts';
import { hiveSyntaxErrors } from '../support/hiveql.ts';
import type { Dialect } from '../../src/config/connection-schema.ts';
import { planBody } from '../support/planned-job.ts';

const HOTEL =
  '{ table: orders, time: paid_at, within: 30d, where: { category: hotel, amount: { gt: 2000 } }, count: { gte: 30 } }';
const VIEWS =
  '{ table: events, event: view_item, within: 7d, sum: { column: duration_s, gte: 600 }, count: { between: [1, 5] } }';

const body = (behaviour: string) =>
  `audience:\n  table: dim_user\n  behaviour: ${behaviour}\nlead: { fields: [user_id] }\n`;
const jobText = (behaviour: string) => `name: t\nsource: wh\ntimezone: Asia/Shanghai\n${body(behaviour)}`;
const plan = (behaviour: string, dialect: Dialect) => planBody(body(behaviour), dialect);

const BINDINGS = [
  '2026-10-24 09:00:00',
  '2026-11-23 09:00:00',
  'hotel',
  2000,
  30,
  'view_item',
  '2026-11-16 09:00:00',
  '2026-11-23 09:00:00',
  1,
  5,
  600,
];

const EXPECTED = {
  sqlite:
    'select `a`.`user_id` from `dim_user` as `a` where exists (select count(*) from `orders` as `bh1` where `bh1`.`user_id` = `a`.`user_id` and `bh1`.`paid_at` >= ? and `bh1`.`paid_at` < ? and `bh1`.`category` = ? and `bh1`.`amount` > ? having count(*) >= ?) and exists (select count(*) from `events` as `bh2` where `bh2`.`user_id` = `a`.`user_id` and `bh2`.`event_name` = ? and `bh2`.`event_time` >= ? and `bh2`.`event_time` < ? having count(*) between ? and ? and sum(`bh2`.`duration_s`) >= ?)',
  mysql:
    'select `a`.`user_id` from `dim_user` as `a` where exists (select count(*) from `orders` as `bh1` where `bh1`.`user_id` = `a`.`user_id` and `bh1`.`paid_at` >= ? and `bh1`.`paid_at` < ? and `bh1`.`category` = CAST(? AS BINARY) and `bh1`.`amount` > ? having count(*) >= ?) and exists (select count(*) from `events` as `bh2` where `bh2`.`user_id` = `a`.`user_id` and `bh2`.`event_name` = CAST(? AS BINARY) and `bh2`.`event_time` >= ? and `bh2`.`event_time` < ? having count(*) between ? and ? and sum(`bh2`.`duration_s`) >= ?)',
  postgres:
    'select "a"."user_id" from "dim_user" as "a" where exists (select count(*) from "orders" as "bh1" where "bh1"."user_id" = "a"."user_id" and "bh1"."paid_at" >= $1 and "bh1"."paid_at" < $2 and "bh1"."category" = $3 and "bh1"."amount" > $4 having count(*) >= $5) and exists (select count(*) from "events" as "bh2" where "bh2"."user_id" = "a"."user_id" and "bh2"."event_name" = $6 and "bh2"."event_time" >= $7 and "bh2"."event_time" < $8 having count(*) between $9 and $10 and sum("bh2"."duration_s") >= $11)',
  oracle: `select "A"."USER_ID" from "DIM_USER" "A" where exists (select count(*) from "ORDERS" "BH1" where "BH1"."USER_ID" = "A"."USER_ID" and "BH1"."PAID_AT" >= TO_DATE(:1, 'YYYY-MM-DD HH24:MI:SS') and "BH1"."PAID_AT" < TO_DATE(:2, 'YYYY-MM-DD HH24:MI:SS') and "BH1"."CATEGORY" = :3 and "BH1"."AMOUNT" > :4 having count(*) >= :5) and exists (select count(*) from "EVENTS" "BH2" where "BH2"."USER_ID" = "A"."USER_ID" and "BH2"."EVENT_NAME" = :6 and "BH2"."EVENT_TIME" >= TO_DATE(:7, 'YYYY-MM-DD HH24:MI:SS') and "BH2"."EVENT_TIME" < TO_DATE(:8, 'YYYY-MM-DD HH24:MI:SS') having count(*) between :9 and :10 and sum("BH2"."DURATION_S") >= :11)`,
} as const;

const HIVE =
  "select `a`.`user_id` from `dim_user` as `a` left join (select `r1`.`user_id` as `person_key`, count(*) as `n_rows` from `orders` as `r1` where `r1`.`paid_at` >= TIMESTAMP '2026-10-24 09:00:00' and `r1`.`paid_at` < TIMESTAMP '2026-11-23 09:00:00' and `r1`.`category` = 'hotel' and `r1`.`amount` > 2000 group by `r1`.`user_id`) as `bh1` on `bh1`.`person_key` = `a`.`user_id` left join (select `r2`.`user_id` as `person_key`, count(*) as `n_rows`, sum(`r2`.`duration_s`) as `agg_sum` from `events` as `r2` where `r2`.`event_name` = 'view_item' and `r2`.`event_time` >= TIMESTAMP '2026-11-16 09:00:00' and `r2`.`event_time` < TIMESTAMP '2026-11-23 09:00:00' group by `r2`.`user_id`) as `bh2` on `bh2`.`person_key` = `a`.`user_id` where coalesce(`bh1`.`n_rows`, 0) >= 30 and coalesce(`bh2`.`n_rows`, 0) between 1 and 5 and `bh2`.`agg_sum` >= 600";

describe('behaviour SQL per dialect', () => {
  it.each(Object.keys(EXPECTED) as (keyof typeof EXPECTED)[])('%s: EXISTS over an aggregate with HAVING', (d) => {
    const query = renderQuery(plan(`[${HOTEL}, ${VIEWS}]`, d));
    expect(query.sql).toBe(EXPECTED[d]);
    expect(query.bindings).toEqual(BINDINGS);
  });

  it('hive: LEFT JOIN to grouped subqueries, count through COALESCE, and Hive parses it', () => {
    const query = renderHiveQuery(plan(`[${HOTEL}, ${VIEWS}]`, 'hive'));
    expect(query.sql).toBe(HIVE);
    expect(query.bindings).toEqual([]);
    expect(hiveSyntaxErrors(query.sql)).toEqual([]);
  });

  it('min, max, avg, ne, lt, lte and a bare number (eq); custom key and name columns; partition pruning', () => {
    const p = plan(
      '[{ table: dw.orders, key: uid, name: kind, time: ts, event: paid, within: 1d, partition: { column: dt, format: yyyyMMdd }, count: 0, min: { column: amount, ne: 1 }, max: { column: amount, lt: 9 }, avg: { column: amount, lte: 5 } }]',
      'mysql',
    );
    const query = renderQuery(p);
    expect(query.sql).toBe(
      'select `a`.`user_id` from `dim_user` as `a` where exists (select count(*) from `dw`.`orders` as `bh1` where `bh1`.`uid` = `a`.`user_id` and `bh1`.`kind` = CAST(? AS BINARY) and `bh1`.`ts` >= ? and `bh1`.`ts` < ? and `bh1`.`dt` >= ? and `bh1`.`dt` <= ? having count(*) = ? and min(`bh1`.`amount`) <> ? and max(`bh1`.`amount`) < ? and avg(`bh1`.`amount`) <= ?)',
    );
    expect(query.bindings).toEqual([
      'paid',
      '2026-11-22 09:00:00',
      '2026-11-23 09:00:00',
      '20261122',
      '20261123',
      0,
      1,
      9,
      5,
    ]);
  });

  it('is one funnel step, after tags and before the trigger, counted with the same SQL', () => {
    const p = planBody(
      body(`[${HOTEL}]`)
        .replace('lead:', 'trigger: { table: events, event: view_item, within: 24h }\nlead:')
        .replace('  behaviour:', '  tags: { table: user_tag, any: [x] }\n  behaviour:'),
      'postgres',
    );
    expect(rulesFor(p).map((r) => r.name)).toEqual(['tags', 'behaviour', 'trigger']);
    expect(renderCount(p, 2).sql).toBe(
      'select count(*) as "n" from "dim_user" as "a" where exists (select 1 from "user_tag" as "t" where "t"."user_id" = "a"."user_id" and "t"."tag" in ($1)) and exists (select count(*) from "orders" as "bh1" where "bh1"."user_id" = "a"."user_id" and "bh1"."paid_at" >= $2 and "bh1"."paid_at" < $3 and "bh1"."category" = $4 and "bh1"."amount" > $5 having count(*) >= $6)',
    );
  });
});

function issuesOf(behaviour: string): SpecIssue[] {
  try {
    loadJob('/virtual/job.yaml', undefined, {}, jobText(behaviour));
  } catch (err) {
    if (err instanceof SpecError) return err.issues;
    throw err;
  }
  throw new Error('expected the job to be rejected');
}

describe('behaviour in the job spec', () => {
  it('needs count or an aggregate', () => {
    const [issue] = issuesOf('[{ table: orders, within: 30d }]');
    expect(issue).toMatchObject({ key: 'audience.behaviour[0]', line: 6 });
    expect(issue.message).toMatch(/needs count, or one of sum, min, max, avg/);
  });

  it('names the aggregate that lacks its column, and the bad comparison with its value', () => {
    const issues = issuesOf(
      '[{ table: orders, within: 30d, sum: { gte: 5 }, count: { gtee: 3 }, max: { column: x, gt: high } }]',
    );
    expect(issues.map((i) => [i.key, i.message])).toEqual(
      expect.arrayContaining([
        ['audience.behaviour[0].sum.column', expect.stringMatching(/sum needs column/)],
        ['audience.behaviour[0].count.gtee', expect.stringMatching(/unknown comparison "gtee"/)],
        ['audience.behaviour[0].max.gt', expect.stringMatching(/gt expects a number/)],
      ]),
    );
  });

  it('rejects an aggregate column that is not a plain name, and a misspelt key with a suggestion', () => {
    const issues = issuesOf('[{ table: orders, within: 30d, sum: { column: "x; drop", gt: 1 }, wihtin: 3d }]');
    expect(issues.map((i) => i.key)).toEqual(
      expect.arrayContaining(['audience.behaviour[0].sum.column', 'audience.behaviour[0].wihtin']),
    );
    expect(issues.map((i) => i.message).join('\n')).toMatch(/wihtin/);
  });
});
