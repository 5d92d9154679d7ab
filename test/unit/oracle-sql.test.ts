// Expected Oracle SQL for every spec feature (issue 5), as `run` sends it through oracledb:
// names written unquoted in the job become upper-case quoted identifiers (what Oracle folds an
// unquoted name to), table aliases without AS, values as :n bindings, time bounds as
// TO_DATE(:n, 'YYYY-MM-DD HH24:MI:SS'), gaps as NUMTODSINTERVAL, and LIMIT as knex's ROWNUM
// wrapper over positionally named columns. No Oracle server runs here: this table and the
// helpers below are what is checked without one (test/integration/oracle.test.ts runs the
// pipeline when ORACLE_URL is set).
import { describe, expect, it } from 'vitest';
import { planJob, type Shard } from '../../src/plan/plan.ts';
import { resolveRunTime } from '../../src/plan/time.ts';
import { renderCount, renderQuery } from '../../src/sql/render-query.ts';
import { loadJob } from '../../src/config/load-job.ts';
import { numberFromText, oracleConnectString, oracleError } from '../../src/warehouses/oracle.ts';
import { CancelledError } from '../../src/errors.ts';

// 09:00 in Shanghai: the 24h trigger window is [2026-11-22 09:00:00, 2026-11-23 09:00:00).
const AT = resolveRunTime('2026-11-23T09:00:00', 'Asia/Shanghai');

function plan(yaml: string, shard?: Shard) {
  const job = loadJob(
    '/virtual/oracle-case.yaml',
    undefined,
    {},
    `name: oracle-case\nsource: wh\ntimezone: Asia/Shanghai\n${yaml}`,
  );
  return planJob(job, AT, 'oracle', { shard });
}

const AUDIENCE = 'audience: { table: dim_user }\n';
const FIELDS = 'lead: { fields: [user_id, phone] }\n';
const SELECT = 'select "A"."USER_ID", "A"."PHONE" from "DIM_USER" "A"';
const TO_DATE = (n: number) => `TO_DATE(:${n}, 'YYYY-MM-DD HH24:MI:SS')`;
const RANKED =
  ' inner join (select "E"."USER_ID" "PERSON_KEY", ROW_NUMBER() OVER (PARTITION BY "E"."USER_ID" ORDER BY "E"."EVENT_TIME" DESC NULLS LAST) as "TRIGGER_RANK" from "EVENTS" "E"';
const JOINED = ') "LT" on "LT"."PERSON_KEY" = "A"."USER_ID" and "LT"."TRIGGER_RANK" = 1';
const WINDOW = `"E"."EVENT_NAME" = :1 and "E"."EVENT_TIME" >= ${TO_DATE(2)} and "E"."EVENT_TIME" < ${TO_DATE(3)}`;
const WINDOW_BINDINGS = ['view_item', '2026-11-22 09:00:00', '2026-11-23 09:00:00'];

const cases: { feature: string; yaml: string; shard?: Shard; sql: string; bindings: unknown[] }[] = [
  {
    feature: 'upper-case identifiers, schema-qualified table, renamed fields',
    yaml: 'audience: { table: dw.dim_user, key: uid }\nlead: { fields: { id: uid, mobile: phone } }\n',
    sql: 'select "A"."UID", "A"."PHONE" from "DW"."DIM_USER" "A"',
    bindings: [],
  },
  {
    feature: 'where scalars (a boolean is bound as 1: no BOOLEAN binds before 23ai)',
    yaml: 'audience: { table: dim_user, where: { gender: M, age: 30, vip: true, score: 1.5, debt: -20 } }\n' + FIELDS,
    sql:
      SELECT +
      ' where "A"."GENDER" = :1 and "A"."AGE" = :2 and "A"."VIP" = :3 and "A"."SCORE" = :4 and "A"."DEBT" = :5',
    bindings: ['M', 30, 1, 1.5, -20],
  },
  {
    feature: 'where operators',
    yaml:
      'audience: { table: dim_user, where: { age: { gte: 18, lt: 65, ne: 40 }, income: { gt: 1000, lte: 9999 }, name: { like: "张%" }, city: { in: [北京, 上海] }, tier: { not_in: [low] }, score: { between: [1, 2] }, email: { is_null: true }, phone: { is_null: false }, wechat: null } }\n' +
      FIELDS,
    sql:
      SELECT +
      ' where "A"."AGE" >= :1 and "A"."AGE" < :2 and "A"."AGE" <> :3 and "A"."INCOME" > :4 and "A"."INCOME" <= :5 and "A"."NAME" like :6 ESCAPE \'\\\' and "A"."CITY" in (:7, :8) and "A"."TIER" not in (:9) and "A"."SCORE" between :10 and :11 and "A"."EMAIL" is null and "A"."PHONE" is not null and "A"."WECHAT" is null',
    bindings: [18, 65, 40, 1000, 9999, '张%', '北京', '上海', 'low', 1, 2],
  },
  {
    feature: 'values are bindings, never SQL text',
    yaml: 'audience: { table: dim_user, where: { note: "\'; DROP TABLE t; --" } }\n' + FIELDS,
    sql: SELECT + ' where "A"."NOTE" = :1',
    bindings: ["'; DROP TABLE t; --"],
  },
  {
    feature: 'segments in their own table',
    yaml:
      'audience: { table: dim_user, segments: { table: dw.user_segment, key: uid, value_tier: high, life_stage: [parent] } }\n' +
      FIELDS,
    sql:
      SELECT +
      ' where exists (select 1 from "DW"."USER_SEGMENT" "S" where "S"."UID" = "A"."USER_ID" and "S"."DIMENSION" = :1 and "S"."SEGMENT" in (:2)) and exists (select 1 from "DW"."USER_SEGMENT" "S" where "S"."UID" = "A"."USER_ID" and "S"."DIMENSION" = :3 and "S"."SEGMENT" in (:4))',
    bindings: ['value_tier', 'high', 'life_stage', 'parent'],
  },
  {
    feature: 'tags all, any, none',
    yaml: 'audience: { table: dim_user, tags: { table: user_tag, all: [a, b], any: [c, d], none: [e] } }\n' + FIELDS,
    sql:
      SELECT +
      ' where exists (select 1 from "USER_TAG" "T" where "T"."USER_ID" = "A"."USER_ID" and "T"."TAG" in (:1)) and exists (select 1 from "USER_TAG" "T" where "T"."USER_ID" = "A"."USER_ID" and "T"."TAG" in (:2)) and exists (select 1 from "USER_TAG" "T" where "T"."USER_ID" = "A"."USER_ID" and "T"."TAG" in (:3, :4)) and not exists (select 1 from "USER_TAG" "T" where "T"."USER_ID" = "A"."USER_ID" and "T"."TAG" in (:5))',
    bindings: ['a', 'b', 'c', 'd', 'e'],
  },
  {
    feature: 'trigger with trigger.X fields: TO_DATE bounds, NULLS LAST in the ranking',
    yaml:
      AUDIENCE +
      'trigger: { table: events, event: view_item, within: 24h }\nlead: { fields: [user_id, trigger.event_time, trigger.item_id] }\n',
    sql:
      'select "A"."USER_ID", "LT"."TF_EVENT_TIME", "LT"."TF_ITEM_ID" from "DIM_USER" "A" inner join (select "E"."USER_ID" "PERSON_KEY", "E"."EVENT_TIME" "TF_EVENT_TIME", "E"."ITEM_ID" "TF_ITEM_ID", ROW_NUMBER() OVER (PARTITION BY "E"."USER_ID" ORDER BY "E"."EVENT_TIME" DESC NULLS LAST, NLSSORT(TO_CHAR("E"."ITEM_ID"), \'NLS_SORT=BINARY\') DESC NULLS LAST) as "TRIGGER_RANK" from "EVENTS" "E" where ' +
      WINDOW +
      JOINED,
    bindings: WINDOW_BINDINGS,
  },
  {
    feature: 'trigger item with its own where',
    yaml:
      AUDIENCE +
      'trigger: { table: events, event: view_item, within: 24h, item: { table: items, where: { category: fridge, price: { gt: 5000 } } } }\n' +
      FIELDS,
    sql:
      SELECT +
      RANKED +
      ' inner join "ITEMS" "I" on "I"."ITEM_ID" = "E"."ITEM_ID" where ' +
      WINDOW +
      ' and "I"."CATEGORY" = :4 and "I"."PRICE" > :5' +
      JOINED,
    bindings: [...WINDOW_BINDINGS, 'fridge', 5000],
  },
  {
    feature: 'not_followed_by: NUMTODSINTERVAL gap, the wait bound as TO_DATE',
    yaml:
      AUDIENCE +
      'trigger: { table: events, event: add_cart, within: 7d, not_followed_by: { event: pay_order, within: 2h, where: { amount: { gt: 0 } } } }\n' +
      FIELDS,
    sql:
      SELECT +
      RANKED +
      ` where "E"."EVENT_NAME" = :1 and "E"."EVENT_TIME" >= ${TO_DATE(2)} and "E"."EVENT_TIME" < ${TO_DATE(3)} and "E"."EVENT_TIME" <= ${TO_DATE(4)} and not exists (select 1 from "EVENTS" "B" where "B"."USER_ID" = "E"."USER_ID" and "B"."EVENT_NAME" = :5 and "B"."EVENT_TIME" > "E"."EVENT_TIME" and "B"."EVENT_TIME" <= ("E"."EVENT_TIME" + NUMTODSINTERVAL(:6, 'SECOND')) and "B"."AMOUNT" > :7)` +
      JOINED,
    bindings: ['add_cart', '2026-11-16 09:00:00', '2026-11-23 09:00:00', '2026-11-23 07:00:00', 'pay_order', 7200, 0],
  },
  {
    feature: 'followed_by chain: one window-function level per step, from the last',
    yaml:
      AUDIENCE +
      'trigger: { table: events, event: view_item, within: 24h, followed_by: [ { event: add_cart, within: 1h }, { event: checkout, within: 30m, where: { channel: app } } ] }\n' +
      FIELDS,
    sql:
      SELECT +
      ' inner join (select "E"."USER_ID" "PERSON_KEY", ROW_NUMBER() OVER (PARTITION BY "E"."USER_ID" ORDER BY "E"."EVENT_TIME" DESC NULLS LAST) as "TRIGGER_RANK"' +
      ' from (select "X"."USER_ID", "X"."EVENT_TIME", "X"."CRM_STEP", MIN(CASE WHEN "X"."CRM_STEP" = 1 THEN "X"."EVENT_TIME" END) OVER (PARTITION BY "X"."USER_ID" ORDER BY "X"."EVENT_TIME", "X"."CRM_STEP" DESC ROWS BETWEEN 1 FOLLOWING AND UNBOUNDED FOLLOWING) as "CRM_NEXT"' +
      ' from (select "X"."USER_ID", "X"."EVENT_TIME", "X"."CRM_STEP", MIN(CASE WHEN "X"."CRM_STEP" = 2 THEN "X"."EVENT_TIME" END) OVER (PARTITION BY "X"."USER_ID" ORDER BY "X"."EVENT_TIME", "X"."CRM_STEP" DESC ROWS BETWEEN 1 FOLLOWING AND UNBOUNDED FOLLOWING) as "CRM_NEXT"' +
      ' from (select "E"."USER_ID", "E"."EVENT_TIME", 0 as "CRM_STEP" from "EVENTS" "E" where ' +
      WINDOW +
      ` union all select "S1"."USER_ID", "S1"."EVENT_TIME", 1 as "CRM_STEP" from "EVENTS" "S1" where "S1"."EVENT_NAME" = :4 and "S1"."EVENT_TIME" > ${TO_DATE(5)} and "S1"."EVENT_TIME" < ${TO_DATE(6)}` +
      ` union all select "S2"."USER_ID", "S2"."EVENT_TIME", 2 as "CRM_STEP" from "EVENTS" "S2" where "S2"."EVENT_NAME" = :7 and "S2"."EVENT_TIME" > ${TO_DATE(8)} and "S2"."EVENT_TIME" < ${TO_DATE(9)} and "S2"."CHANNEL" = :10) "X") "X"` +
      ` where ("X"."CRM_STEP" < 1 or ("X"."CRM_STEP" = 1 and "X"."CRM_NEXT" <= ("X"."EVENT_TIME" + NUMTODSINTERVAL(:11, 'SECOND'))))) "E"` +
      ` where "E"."CRM_STEP" = 0 and "E"."CRM_NEXT" <= ("E"."EVENT_TIME" + NUMTODSINTERVAL(:12, 'SECOND'))` +
      JOINED,
    bindings: [
      ...WINDOW_BINDINGS,
      'add_cart',
      '2026-11-22 09:00:00',
      '2026-11-23 09:00:00',
      'checkout',
      '2026-11-22 09:00:00',
      '2026-11-23 09:00:00',
      'app',
      1800,
      3600,
    ],
  },
  {
    feature: 'partition column ranges (a Hive feature; harmless on Oracle)',
    yaml:
      AUDIENCE +
      'trigger: { table: events, event: view_item, within: 3h, partition: { column: dh, format: yyyyMMddHH } }\n' +
      FIELDS,
    sql:
      SELECT +
      RANKED +
      ` where "E"."EVENT_NAME" = :1 and "E"."EVENT_TIME" >= ${TO_DATE(2)} and "E"."EVENT_TIME" < ${TO_DATE(3)} and "E"."DH" >= :4 and "E"."DH" <= :5` +
      JOINED,
    bindings: ['view_item', '2026-11-23 06:00:00', '2026-11-23 09:00:00', '2026112306', '2026112309'],
  },
  {
    feature: 'converted in the warehouse: TO_DATE bounds (a bare string would need NLS_DATE_FORMAT)',
    yaml:
      AUDIENCE +
      'exclude: { converted: { table: orders, time: paid_at, within: 30d, where: { category: fridge } } }\n' +
      FIELDS,
    sql:
      SELECT +
      ` where not exists (select 1 from "ORDERS" "C" where "C"."USER_ID" = "A"."USER_ID" and "C"."PAID_AT" >= ${TO_DATE(1)} and "C"."PAID_AT" < ${TO_DATE(2)} and "C"."CATEGORY" = :3)`,
    bindings: ['2026-10-24 09:00:00', '2026-11-23 09:00:00', 'fridge'],
  },
  {
    feature: 'order_by NULLS LAST and limit: ROWNUM over positionally named columns (no ORA-00918)',
    yaml: AUDIENCE + 'lead: { fields: [user_id, phone], order_by: { income: desc, age: asc }, limit: 100 }\n',
    sql: 'select * from (select "A"."USER_ID" "C0", "A"."PHONE" "C1" from "DIM_USER" "A" order by "A"."INCOME" desc NULLS LAST, "A"."AGE" asc NULLS LAST, "A"."USER_ID" asc) where rownum <= :1',
    bindings: [100],
  },
  {
    feature: 'limit with a trigger field',
    yaml:
      AUDIENCE +
      'trigger: { table: events, event: view_item, within: 24h }\nlead: { fields: [user_id, trigger.event_time], limit: 3 }\n',
    sql:
      'select * from (select "A"."USER_ID" "C0", "LT"."TF_EVENT_TIME" "C1" from "DIM_USER" "A" inner join (select "E"."USER_ID" "PERSON_KEY", "E"."EVENT_TIME" "TF_EVENT_TIME", ROW_NUMBER() OVER (PARTITION BY "E"."USER_ID" ORDER BY "E"."EVENT_TIME" DESC NULLS LAST) as "TRIGGER_RANK" from "EVENTS" "E" where ' +
      WINDOW +
      JOINED +
      ' order by "A"."USER_ID" asc) where rownum <= :4',
    bindings: [...WINDOW_BINDINGS, 3],
  },
  {
    feature: 'limit left to the stream (require): no wrapper, plain column names',
    yaml: AUDIENCE + 'lead: { fields: [user_id, phone], require: [phone], limit: 5 }\n',
    sql: SELECT + ' order by "A"."USER_ID" asc',
    bindings: [],
  },
  {
    feature: 'shard: MOD(ORA_HASH(key), n)',
    yaml: AUDIENCE + FIELDS,
    shard: { index: 1, count: 4 },
    sql: SELECT + ' where MOD(ORA_HASH("A"."USER_ID"), :1) = :2',
    bindings: [4, 1],
  },
];

describe('Oracle SQL per spec feature', () => {
  it.each(cases)('$feature', ({ yaml, shard, sql, bindings }) => {
    const query = renderQuery(plan(yaml, shard));
    expect(query.sql).toBe(sql);
    expect(query.bindings).toEqual(bindings);
  });

  it('counts the dry-run funnel with the same rules, in order', () => {
    const p = plan(
      'audience: { table: dim_user, where: { age: { gte: 18 } }, tags: { table: user_tag, any: [a] } }\nexclude: { converted: { table: orders, time: paid_at, within: 30d } }\nlead: { fields: [user_id] }\n',
      { index: 0, count: 3 },
    );
    const counts = [0, 1, 2, 3, 4].map((n) => renderCount(p, n));
    expect(counts[0].sql).toBe('select count(*) "N" from "DIM_USER" "A"');
    expect(counts[4]).toEqual({
      sql: `select count(*) "N" from "DIM_USER" "A" where "A"."AGE" >= :1 and exists (select 1 from "USER_TAG" "T" where "T"."USER_ID" = "A"."USER_ID" and "T"."TAG" in (:2)) and not exists (select 1 from "ORDERS" "C" where "C"."USER_ID" = "A"."USER_ID" and "C"."PAID_AT" >= ${TO_DATE(3)} and "C"."PAID_AT" < ${TO_DATE(4)}) and MOD(ORA_HASH("A"."USER_ID"), :5) = :6`,
      bindings: [18, 'a', '2026-10-24 09:00:00', '2026-11-23 09:00:00', 3, 0],
    });
  });
});

describe('Oracle connection helpers', () => {
  const base = { type: 'oracle' as const, port: 1521, fetch_array_size: 1000 };

  it('takes connect_string as written, or builds host:port/service_name', () => {
    expect(oracleConnectString('ora', { ...base, connect_string: 'db.example.com:1522/ORCLPDB1' })).toBe(
      'db.example.com:1522/ORCLPDB1',
    );
    expect(oracleConnectString('ora', { ...base, host: 'db', service_name: 'XEPDB1' })).toBe('db:1521/XEPDB1');
    expect(() => oracleConnectString('ora', { ...base, host: 'db' })).toThrow(
      /needs connect_string .* or host and service_name/,
    );
  });

  it('reads NUMBER text as a number only when exact: keys beyond 2^53 keep every digit', () => {
    expect(numberFromText('42')).toBe(42);
    expect(numberFromText('-7')).toBe(-7);
    expect(numberFromText('9007199254740993')).toBe('9007199254740993');
    expect(numberFromText('12.50')).toBe('12.50');
    expect(numberFromText(null)).toBe(null);
  });

  it('turns driver errors into one line without help links or connection ids', () => {
    const refused = oracleError(
      'ora',
      Object.assign(
        new Error(
          'NJS-503: connection to host 127.0.0.1 port 1 could not be established. (CONNECTION_ID=abc==)\nconnect ECONNREFUSED 127.0.0.1:1',
        ),
        { code: 'NJS-503' },
      ),
    );
    expect(refused.message).toBe(
      'ora: NJS-503: connection to host 127.0.0.1 port 1 could not be established (connect ECONNREFUSED 127.0.0.1:1)',
    );
    const missing = oracleError(
      'ora',
      Object.assign(
        new Error(
          'ORA-00942: table or view "APP"."NOPE" does not exist\nHelp: https://docs.oracle.com/error-help/db/ora-00942/',
        ),
        { errorNum: 942 },
      ),
    );
    expect(missing.message).toBe('ora: ORA-00942: table or view "APP"."NOPE" does not exist');
    expect(
      oracleError(
        'ora',
        Object.assign(new Error('ORA-01013: user requested cancel of current operation'), { errorNum: 1013 }),
      ),
    ).toBeInstanceOf(CancelledError);
  });
});
