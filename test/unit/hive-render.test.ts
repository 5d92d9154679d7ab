// Expected HiveQL for every spec feature (issue 5), compiled without connecting: YAML text ->
// loadJob -> planJob(hive) -> renderHiveQuery. Every value is a literal in the text (HiveServer2
// has no bound parameters), and every statement here also passes Hive's grammar
// (dt-sql-parser HiveSQL).
import { describe, expect, it } from 'vitest';
import { planJob, type Shard } from '../../src/plan/plan.ts';
import { resolveRunTime } from '../../src/plan/time.ts';
import { queryBuilder } from '../../src/sql/knex-client.ts';
import { renderHiveCount, renderHiveQL, renderHiveQuery } from '../../src/sql/hive/render-hive.ts';
import { hiveBoolean, hiveLiteral, hiveNumber, hiveString, hiveTimestamp } from '../../src/sql/hive/hive-literal.ts';
import { rulesFor } from '../../src/sql/audience-rules.ts';
import { loadJob } from '../../src/config/load-job.ts';
import { hiveSyntaxErrors, hiveUnescape } from '../support/hiveql.ts';

// 09:00 in Shanghai: the 24h trigger window is [2026-11-22 09:00:00, 2026-11-23 09:00:00).
const AT = resolveRunTime('2026-11-23T09:00:00', 'Asia/Shanghai');

function plan(yaml: string, shard?: Shard) {
  const job = loadJob(
    '/virtual/hive-case.yaml',
    undefined,
    {},
    `name: hive-case\nsource: wh\ntimezone: Asia/Shanghai\n${yaml}`,
  );
  return planJob(job, AT, 'hive', { shard });
}

const render = (yaml: string, shard?: Shard) => renderHiveQuery(plan(yaml, shard));

const AUDIENCE = 'audience: { table: dim_user }\n';
const FIELDS = 'lead: { fields: [user_id, phone] }\n';
const SELECT = 'select `a`.`user_id`, `a`.`phone` from `dim_user` as `a`';
const TRIGGER_HEAD =
  SELECT +
  ' inner join (select `e`.`user_id` as `person_key`, ROW_NUMBER() OVER (PARTITION BY `e`.`user_id` ORDER BY `e`.`event_time` DESC) as `trigger_rank` from `events` as `e`';
const TRIGGER_TAIL = ') as `lt` on `lt`.`person_key` = `a`.`user_id` and `lt`.`trigger_rank` = 1';
const WINDOW_24H =
  "`e`.`event_name` = 'view_item' and `e`.`event_time` >= TIMESTAMP '2026-11-22 09:00:00' and `e`.`event_time` < TIMESTAMP '2026-11-23 09:00:00'";

const cases: { feature: string; yaml: string; shard?: Shard; sql: string }[] = [
  {
    feature: 'select: the person key first, then the lead fields',
    yaml: AUDIENCE + FIELDS,
    sql: SELECT,
  },
  {
    feature: 'lead fields renamed, schema-qualified table, custom key',
    yaml: 'audience: { table: dw.dim_user, key: uid }\nlead: { fields: { id: uid, mobile: phone } }\n',
    sql: 'select `a`.`uid`, `a`.`phone` from `dw`.`dim_user` as `a`',
  },
  {
    feature: 'where scalars: string, integer, boolean, decimal, negative number',
    yaml: 'audience: { table: dim_user, where: { gender: M, age: 30, vip: true, score: 1.5, debt: -20 } }\n' + FIELDS,
    sql:
      SELECT +
      " where `a`.`gender` = 'M' and `a`.`age` = 30 and `a`.`vip` = TRUE and `a`.`score` = 1.5 and `a`.`debt` = (-20)",
  },
  {
    feature: 'where operators: ne gt gte lt lte like in not_in between is_null and a null scalar',
    yaml:
      'audience: { table: dim_user, where: { age: { gte: 18, lt: 65, ne: 40 }, income: { gt: 1000, lte: 9999 }, name: { like: "张%" }, city: { in: [北京, 上海] }, tier: { not_in: [low] }, score: { between: [1, 2] }, email: { is_null: true }, phone: { is_null: false }, wechat: null } }\n' +
      FIELDS,
    sql:
      SELECT +
      " where `a`.`age` >= 18 and `a`.`age` < 65 and `a`.`age` <> 40 and `a`.`income` > 1000 and `a`.`income` <= 9999 and `a`.`name` like '张%' and `a`.`city` in ('北京', '上海') and `a`.`tier` not in ('low') and `a`.`score` between 1 and 2 and `a`.`email` is null and `a`.`phone` is not null and `a`.`wechat` is null",
  },
  {
    feature: 'hostile values stay inside their literals: quotes, backslashes, newlines, ${...}, comment markers',
    yaml:
      'audience: { table: dim_user, where: { name: "O\'Brien \\\\ \\"x\\" \\n tab\\t ${env:HOME} ${hiveconf:q}", note: "\'; DROP TABLE t; --", memo: "/* \\\\u0041 \\\\012 */" } }\n' +
      FIELDS,
    sql:
      SELECT +
      " where `a`.`name` = 'O\\'Brien \\\\ \"x\" \\n tab\\t $\\{env:HOME} $\\{hiveconf:q}' and `a`.`note` = '\\'; DROP TABLE t; --' and `a`.`memo` = '/* \\\\u0041 \\\\012 */'",
  },
  {
    feature: 'segments as columns of the audience table',
    yaml: 'audience: { table: dim_user, segments: { value_tier: [high, top] } }\n' + FIELDS,
    sql: SELECT + " where `a`.`value_tier` in ('high', 'top')",
  },
  {
    feature: 'segments in their own table: one EXISTS per dimension',
    yaml:
      'audience: { table: dim_user, segments: { table: dw.user_segment, key: uid, value_tier: high, life_stage: [parent] } }\n' +
      FIELDS,
    sql:
      SELECT +
      " where exists (select 1 from `dw`.`user_segment` as `s` where `s`.`uid` = `a`.`user_id` and `s`.`dimension` = 'value_tier' and `s`.`segment` in ('high')) and exists (select 1 from `dw`.`user_segment` as `s` where `s`.`uid` = `a`.`user_id` and `s`.`dimension` = 'life_stage' and `s`.`segment` in ('parent'))",
  },
  {
    feature: 'tags all (one EXISTS each), any (one EXISTS), none (NOT EXISTS)',
    yaml: 'audience: { table: dim_user, tags: { table: user_tag, all: [a, b], any: [c, d], none: [e] } }\n' + FIELDS,
    sql:
      SELECT +
      " where exists (select 1 from `user_tag` as `t` where `t`.`user_id` = `a`.`user_id` and `t`.`tag` in ('a')) and exists (select 1 from `user_tag` as `t` where `t`.`user_id` = `a`.`user_id` and `t`.`tag` in ('b')) and exists (select 1 from `user_tag` as `t` where `t`.`user_id` = `a`.`user_id` and `t`.`tag` in ('c', 'd')) and not exists (select 1 from `user_tag` as `t` where `t`.`user_id` = `a`.`user_id` and `t`.`tag` in ('e'))",
  },
  {
    feature: 'tags with their own key and column',
    yaml:
      'audience: { table: dim_user, tags: { table: crm.user_label, key: uid, column: label, any: [x] } }\n' + FIELDS,
    sql:
      SELECT +
      " where exists (select 1 from `crm`.`user_label` as `t` where `t`.`uid` = `a`.`user_id` and `t`.`label` in ('x'))",
  },
  {
    feature: 'trigger: the latest A in [at - within, at) per person, TIMESTAMP literals, trigger.X fields',
    yaml:
      AUDIENCE +
      'trigger: { table: events, event: view_item, within: 24h }\nlead: { fields: [user_id, trigger.event_time, trigger.item_id] }\n',
    sql:
      'select `a`.`user_id`, `lt`.`tf_event_time`, `lt`.`tf_item_id` from `dim_user` as `a` inner join (select `e`.`user_id` as `person_key`, `e`.`event_time` as `tf_event_time`, `e`.`item_id` as `tf_item_id`, ROW_NUMBER() OVER (PARTITION BY `e`.`user_id` ORDER BY `e`.`event_time` DESC, concat(`e`.`item_id`) DESC) as `trigger_rank` from `events` as `e` where ' +
      WINDOW_24H +
      TRIGGER_TAIL,
  },
  {
    feature: 'trigger.id: equal times go to the greatest id (length, then code points), then the fields as text',
    yaml:
      AUDIENCE +
      'trigger: { table: events, event: view_item, within: 24h, id: event_id }\nlead: { fields: [user_id, trigger.channel] }\n',
    sql:
      'select `a`.`user_id`, `lt`.`tf_channel` from `dim_user` as `a` inner join (select `e`.`user_id` as `person_key`, `e`.`channel` as `tf_channel`, ROW_NUMBER() OVER (PARTITION BY `e`.`user_id` ORDER BY `e`.`event_time` DESC, length(concat(`e`.`event_id`)) DESC, concat(`e`.`event_id`) DESC, concat(`e`.`channel`) DESC) as `trigger_rank` from `events` as `e` where ' +
      WINDOW_24H +
      TRIGGER_TAIL,
  },
  {
    feature: 'trigger with custom key, name and time columns and an event where',
    yaml:
      AUDIENCE +
      'trigger: { table: dw.user_events, key: uid, name: action, time: ts, event: view_item, within: 1d, where: { duration_s: { gte: 60 } } }\n' +
      FIELDS,
    sql:
      SELECT +
      " inner join (select `e`.`uid` as `person_key`, ROW_NUMBER() OVER (PARTITION BY `e`.`uid` ORDER BY `e`.`ts` DESC) as `trigger_rank` from `dw`.`user_events` as `e` where `e`.`action` = 'view_item' and `e`.`ts` >= TIMESTAMP '2026-11-22 09:00:00' and `e`.`ts` < TIMESTAMP '2026-11-23 09:00:00' and `e`.`duration_s` >= 60" +
      TRIGGER_TAIL,
  },
  {
    feature: 'trigger item: joined to the event, with its own where',
    yaml:
      AUDIENCE +
      'trigger: { table: events, event: view_item, within: 24h, item: { table: items, where: { category: fridge, price: { gt: 5000 } } } }\n' +
      FIELDS,
    sql:
      TRIGGER_HEAD +
      ' inner join `items` as `i` on `i`.`item_id` = `e`.`item_id` where ' +
      WINDOW_24H +
      " and `i`.`category` = 'fridge' and `i`.`price` > 5000" +
      TRIGGER_TAIL,
  },
  {
    feature: 'trigger item with its own key and the event column that points at it',
    yaml:
      AUDIENCE +
      'trigger: { table: events, event: view_item, within: 24h, item: { table: dw.items, key: sku, event_key: item_sku } }\n' +
      FIELDS,
    sql:
      TRIGGER_HEAD + ' inner join `dw`.`items` as `i` on `i`.`sku` = `e`.`item_sku` where ' + WINDOW_24H + TRIGGER_TAIL,
  },
  {
    feature: 'not_followed_by: A old enough, and no B in (tA, tA + W] (INTERVAL arithmetic)',
    yaml:
      AUDIENCE +
      'trigger: { table: events, event: add_cart, within: 7d, not_followed_by: { event: pay_order, within: 2h, where: { amount: { gt: 0 } } } }\n' +
      FIELDS,
    sql:
      TRIGGER_HEAD +
      " where `e`.`event_name` = 'add_cart' and `e`.`event_time` >= TIMESTAMP '2026-11-16 09:00:00' and `e`.`event_time` < TIMESTAMP '2026-11-23 09:00:00' and `e`.`event_time` <= TIMESTAMP '2026-11-23 07:00:00' and not exists (select 1 from `events` as `b` where `b`.`user_id` = `e`.`user_id` and `b`.`event_name` = 'pay_order' and `b`.`event_time` > `e`.`event_time` and `b`.`event_time` <= (`e`.`event_time` + INTERVAL '7200' SECOND) and `b`.`amount` > 0)" +
      TRIGGER_TAIL,
  },
  {
    feature: 'followed_by: a chain of nested EXISTS, each step within its gap and before at',
    yaml:
      AUDIENCE +
      'trigger: { table: events, event: view_item, within: 24h, followed_by: [ { event: add_cart, within: 1h }, { event: checkout, within: 30m, where: { channel: app } } ] }\n' +
      FIELDS,
    sql:
      TRIGGER_HEAD +
      ' where ' +
      WINDOW_24H +
      " and exists (select 1 from `events` as `s1` where `s1`.`user_id` = `e`.`user_id` and `s1`.`event_name` = 'add_cart' and `s1`.`event_time` > `e`.`event_time` and `s1`.`event_time` <= (`e`.`event_time` + INTERVAL '3600' SECOND) and `s1`.`event_time` < TIMESTAMP '2026-11-23 09:00:00' and exists (select 1 from `events` as `s2` where `s2`.`user_id` = `s1`.`user_id` and `s2`.`event_name` = 'checkout' and `s2`.`event_time` > `s1`.`event_time` and `s2`.`event_time` <= (`s1`.`event_time` + INTERVAL '1800' SECOND) and `s2`.`channel` = 'app' and `s2`.`event_time` < TIMESTAMP '2026-11-23 09:00:00'))" +
      TRIGGER_TAIL,
  },
  {
    feature: 'partition pruning on the events table: a range on the partition column in every read of it',
    yaml:
      AUDIENCE +
      'trigger: { table: events, event: view_item, within: 24h, partition: { column: dt }, not_followed_by: { event: pay_order, within: 2h } }\n' +
      FIELDS,
    sql:
      TRIGGER_HEAD +
      ' where ' +
      WINDOW_24H +
      " and `e`.`dt` >= '2026-11-22' and `e`.`dt` <= '2026-11-23' and `e`.`event_time` <= TIMESTAMP '2026-11-23 07:00:00' and not exists (select 1 from `events` as `b` where `b`.`user_id` = `e`.`user_id` and `b`.`event_name` = 'pay_order' and `b`.`event_time` > `e`.`event_time` and `b`.`event_time` <= (`e`.`event_time` + INTERVAL '7200' SECOND) and `b`.`dt` >= '2026-11-22' and `b`.`dt` <= '2026-11-23')" +
      TRIGGER_TAIL,
  },
  {
    feature: 'partition pruning with hourly partitions (yyyyMMddHH)',
    yaml:
      AUDIENCE +
      'trigger: { table: events, event: view_item, within: 3h, partition: { column: dh, format: yyyyMMddHH } }\n' +
      FIELDS,
    sql:
      TRIGGER_HEAD +
      " where `e`.`event_name` = 'view_item' and `e`.`event_time` >= TIMESTAMP '2026-11-23 06:00:00' and `e`.`event_time` < TIMESTAMP '2026-11-23 09:00:00' and `e`.`dh` >= '2026112306' and `e`.`dh` <= '2026112309'" +
      TRIGGER_TAIL,
  },
  {
    feature: 'converted in the warehouse: NOT EXISTS over [at - within, at), with partition pruning',
    yaml:
      AUDIENCE +
      'exclude: { converted: { table: orders, time: paid_at, within: 30d, where: { category: fridge }, partition: { column: dt, format: yyyyMMdd } } }\n' +
      FIELDS,
    sql:
      SELECT +
      " where not exists (select 1 from `orders` as `c` where `c`.`user_id` = `a`.`user_id` and `c`.`paid_at` >= TIMESTAMP '2026-10-24 09:00:00' and `c`.`paid_at` < TIMESTAMP '2026-11-23 09:00:00' and `c`.`dt` >= '20261024' and `c`.`dt` <= '20261123' and `c`.`category` = 'fridge')",
  },
  {
    feature: 'order_by with NULLs last (IS NULL first, as on MySQL), key as tie-break, limit pushed down',
    yaml: AUDIENCE + 'lead: { fields: [user_id, phone], order_by: { income: desc, age: asc }, limit: 100 }\n',
    sql:
      SELECT +
      ' order by `a`.`income` IS NULL, `a`.`income` desc, `a`.`age` IS NULL, `a`.`age` asc, `a`.`user_id` asc limit 100',
  },
  {
    feature: 'limit alone: ordered by the key so that every engine picks the same people',
    yaml: AUDIENCE + 'lead: { fields: [user_id, phone], limit: 5 }\n',
    sql: SELECT + ' order by `a`.`user_id` asc limit 5',
  },
  {
    feature: 'limit stays in the stream when require can still drop rows',
    yaml: AUDIENCE + 'lead: { fields: [user_id, phone], require: [phone], limit: 5 }\n',
    sql: SELECT + ' order by `a`.`user_id` asc',
  },
  {
    feature: 'shard: CRC32 of the key text, as on MySQL',
    yaml: AUDIENCE + FIELDS,
    shard: { index: 1, count: 4 },
    sql: SELECT + ' where crc32(concat(`a`.`user_id`)) % 4 = 1',
  },
];

describe('HiveQL per spec feature', () => {
  it.each(cases)('$feature', ({ yaml, shard, sql }) => {
    const query = render(yaml, shard);
    expect(query.sql).toBe(sql);
    expect(query.bindings).toEqual([]);
    expect(hiveSyntaxErrors(query.sql)).toEqual([]);
  });
});

const EVERYTHING = [
  'audience: { table: dw.dim_user, where: { age: { between: [25, 45] }, city: [北京, 上海] }, segments: { table: user_segment, value_tier: [high] }, tags: { table: user_tag, any: [偏好家电], none: [黑名单] } }',
  'trigger: { table: events, event: view_item, within: 24h, partition: { column: dt }, item: { table: items, where: { price: { gte: 5000 } } }, not_followed_by: { event: pay_order, within: 2h }, followed_by: [ { event: add_cart, within: 1h } ] }',
  'exclude: { converted: { table: orders, time: paid_at, within: 30d, partition: { column: dt } } }',
  'lead: { fields: [user_id, phone, trigger.item_id], order_by: { income: desc }, limit: 10 }',
].join('\n');

describe('the dry-run funnel on Hive', () => {
  const p = plan(EVERYTHING, { index: 0, count: 2 });
  const names = ['audience', ...rulesFor(p).map((r) => r.name)];

  it('counts after each rule, in the same order as the knex family', () => {
    expect(names).toEqual(['audience', 'where', 'segments', 'tags', 'trigger', 'converted', 'shard']);
    expect(renderHiveCount(p, 0).sql).toBe('select count(*) as `n` from `dw`.`dim_user` as `a`');
    expect(renderHiveCount(p, 1).sql).toBe(
      "select count(*) as `n` from `dw`.`dim_user` as `a` where `a`.`age` between 25 and 45 and `a`.`city` in ('北京', '上海')",
    );
  });

  it('gives a statement that Hive parses for every step, and for the full query', () => {
    for (let i = 0; i < names.length; i++) expect(hiveSyntaxErrors(renderHiveCount(p, i).sql), names[i]).toEqual([]);
    expect(hiveSyntaxErrors(renderHiveQuery(p).sql)).toEqual([]);
  });

  it('ends each step with the query of the step before plus one rule', () => {
    for (let i = 1; i < names.length; i++)
      expect(renderHiveCount(p, i).sql.length).toBeGreaterThan(renderHiveCount(p, i - 1).sql.length);
  });
});

describe('HiveQL literals', () => {
  it('escapes quotes with a backslash: a doubled quote would be two adjacent literals in Hive', () => {
    expect(hiveString("it's")).toBe("'it\\'s'");
    expect(hiveUnescape(hiveString("it's"))).toBe("it's");
    expect(hiveUnescape("'it''s'")).toBe('its'); // why '' is wrong for Hive
  });

  it('escapes backslashes, so that \\u and octal escapes in a value stay text', () => {
    for (const value of ['\\', 'a\\u0041', '\\012', '\\0', 'C:\\new\\table', '\\%', '\\_', 'end\\']) {
      expect(hiveUnescape(hiveString(value))).toBe(value);
    }
    expect(hiveString('a\\u0041')).toBe("'a\\\\u0041'");
  });

  it('writes control characters as escapes Hive and MariaDB both read, and leaves NUL as it is', () => {
    expect(hiveString('a\nb\rc\td\be\x1a')).toBe("'a\\nb\\rc\\td\\be\\Z'");
    // \0 followed by digits would be an octal escape in Hive: NUL is written raw.
    expect(hiveString('\u000012')).toBe("'\u000012'");
    for (const value of ['a\nb', '\r\n', '\t', '\b', '\x1a', '\u000012', '\u0001\u001f\u007f'])
      expect(hiveUnescape(hiveString(value))).toBe(value);
  });

  it('never lets a value form ${...}, which HiveServer2 substitutes even inside literals', () => {
    expect(hiveString('${env:HOME}')).toBe("'$\\{env:HOME}'");
    expect(hiveString('$${x}')).toBe("'$$\\{x}'");
    expect(hiveString('{$}')).toBe("'{$}'");
    expect(hiveUnescape(hiveString('${hiveconf:a} ${b}'))).toBe('${hiveconf:a} ${b}');
  });

  it('keeps unicode as it is', () => {
    expect(hiveString('冰箱 😀 é\u2028')).toBe("'冰箱 😀 é\u2028'");
  });

  it('writes numbers only when finite, negatives in parentheses', () => {
    expect(hiveNumber(42)).toBe('42');
    expect(hiveNumber(-1.5)).toBe('(-1.5)');
    expect(hiveNumber(1e21)).toBe('1e+21');
    expect(hiveNumber(9007199254740993n)).toBe('9007199254740993');
    expect(() => hiveNumber(NaN)).toThrow(/not a finite number/);
    expect(() => hiveNumber(Infinity)).toThrow(/not a finite number/);
    expect(hiveSyntaxErrors('select 1 from t where x = 1e+21 and y = (-1.5)')).toEqual([]);
  });

  it('writes booleans as TRUE/FALSE and times as typed TIMESTAMP literals', () => {
    expect(hiveBoolean(true)).toBe('TRUE');
    expect(hiveBoolean(false)).toBe('FALSE');
    expect(hiveTimestamp('2026-11-23 09:00:00')).toBe("TIMESTAMP '2026-11-23 09:00:00'");
    expect(() => hiveTimestamp("2026-11-23' or 1=1")).toThrow(/not a naive time/);
  });

  it('refuses values that have no literal here', () => {
    expect(() => hiveLiteral(null)).toThrow(/null value/);
    expect(() => hiveLiteral(new Date())).toThrow(/object value/);
    expect(() => hiveLiteral(undefined)).toThrow(/undefined value/);
  });

  it('fails loudly when the compiled SQL and its values do not line up', () => {
    const k = queryBuilder('mysql');
    // knex writes an escaped \\? as a bare '?' without a binding: a literal the renderer cannot tell apart.
    expect(() => renderHiveQL(k('t').whereRaw("x = '\\?'").where('y', 1))).toThrow(/2 placeholders for 1 values/);
  });
});
