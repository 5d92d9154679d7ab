// Expected SQL and bindings per dialect for each trigger feature (issue 3). The run time is
// 2026-11-23 09:00:00 in Asia/Shanghai, so the 24h window is [2026-11-22 09:00:00, at).
// The first cases pin whole statements; the feature cases pin the derived table's FROM and
// WHERE (everything after `ROW_NUMBER() ... from `), the part each feature changes.
import { describe, expect, it } from 'vitest';
import { renderQuery } from '../../src/sql/render-query.ts';
import { planTrigger } from '../support/planned-job.ts';

type KnexDialect = 'sqlite' | 'mysql' | 'postgres' | 'oracle';
const DIALECTS: KnexDialect[] = ['sqlite', 'mysql', 'postgres', 'oracle'];
type PerDialect = Record<KnexDialect, string>;

const render = (dialect: KnexDialect, trigger: string, fields?: string) =>
  renderQuery(planTrigger(trigger, dialect, fields));

const WINDOW = ['view_item', '2026-11-22 09:00:00', '2026-11-23 09:00:00'];

const whole: { feature: string; trigger: string; fields?: string; sql: PerDialect; bindings: unknown[] }[] = [
  {
    feature: 'event and within: the latest A in [at - within, at) per person, joined on rank 1',
    trigger: '{ table: events, event: view_item, within: 24h }',
    sql: {
      sqlite:
        'select `a`.`user_id` from `dim_user` as `a` inner join (select `e`.`user_id` as `person_key`, ROW_NUMBER() OVER (PARTITION BY `e`.`user_id` ORDER BY `e`.`event_time` DESC) as `trigger_rank` from `events` as `e` where `e`.`event_name` = ? and `e`.`event_time` >= ? and `e`.`event_time` < ?) as `lt` on `lt`.`person_key` = `a`.`user_id` and `lt`.`trigger_rank` = 1',
      mysql:
        'select `a`.`user_id` from `dim_user` as `a` inner join (select `e`.`user_id` as `person_key`, ROW_NUMBER() OVER (PARTITION BY `e`.`user_id` ORDER BY `e`.`event_time` DESC) as `trigger_rank` from `events` as `e` where `e`.`event_name` = CAST(? AS BINARY) and `e`.`event_time` >= ? and `e`.`event_time` < ?) as `lt` on `lt`.`person_key` = `a`.`user_id` and `lt`.`trigger_rank` = 1',
      postgres: `select "a"."user_id" from "dim_user" as "a" inner join (select "e"."user_id" as "person_key", ROW_NUMBER() OVER (PARTITION BY "e"."user_id" ORDER BY "e"."event_time" DESC NULLS LAST) as "trigger_rank" from "events" as "e" where "e"."event_name" = $1 and "e"."event_time" >= $2 and "e"."event_time" < $3) as "lt" on "lt"."person_key" = "a"."user_id" and "lt"."trigger_rank" = 1`,
      oracle: `select "A"."USER_ID" from "DIM_USER" "A" inner join (select "E"."USER_ID" "PERSON_KEY", ROW_NUMBER() OVER (PARTITION BY "E"."USER_ID" ORDER BY "E"."EVENT_TIME" DESC NULLS LAST) as "TRIGGER_RANK" from "EVENTS" "E" where "E"."EVENT_NAME" = :1 and "E"."EVENT_TIME" >= TO_DATE(:2, 'YYYY-MM-DD HH24:MI:SS') and "E"."EVENT_TIME" < TO_DATE(:3, 'YYYY-MM-DD HH24:MI:SS')) "LT" on "LT"."PERSON_KEY" = "A"."USER_ID" and "LT"."TRIGGER_RANK" = 1`,
    },
    bindings: WINDOW,
  },
  {
    feature:
      'trigger.X fields: selected from A, ties on time broken by their text in code-point order (event_time once)',
    trigger: '{ table: events, event: view_item, within: 24h }',
    fields: '[user_id, trigger.event_time, trigger.item_id]',
    sql: {
      sqlite:
        'select `a`.`user_id`, `lt`.`tf_event_time`, `lt`.`tf_item_id` from `dim_user` as `a` inner join (select `e`.`user_id` as `person_key`, `e`.`event_time` as `tf_event_time`, `e`.`item_id` as `tf_item_id`, ROW_NUMBER() OVER (PARTITION BY `e`.`user_id` ORDER BY `e`.`event_time` DESC, CAST(`e`.`item_id` AS TEXT) COLLATE BINARY DESC) as `trigger_rank` from `events` as `e` where `e`.`event_name` = ? and `e`.`event_time` >= ? and `e`.`event_time` < ?) as `lt` on `lt`.`person_key` = `a`.`user_id` and `lt`.`trigger_rank` = 1',
      mysql:
        'select `a`.`user_id`, `lt`.`tf_event_time`, `lt`.`tf_item_id` from `dim_user` as `a` inner join (select `e`.`user_id` as `person_key`, `e`.`event_time` as `tf_event_time`, `e`.`item_id` as `tf_item_id`, ROW_NUMBER() OVER (PARTITION BY `e`.`user_id` ORDER BY `e`.`event_time` DESC, CAST(`e`.`item_id` AS BINARY) DESC) as `trigger_rank` from `events` as `e` where `e`.`event_name` = CAST(? AS BINARY) and `e`.`event_time` >= ? and `e`.`event_time` < ?) as `lt` on `lt`.`person_key` = `a`.`user_id` and `lt`.`trigger_rank` = 1',
      postgres: `select "a"."user_id", "lt"."tf_event_time", "lt"."tf_item_id" from "dim_user" as "a" inner join (select "e"."user_id" as "person_key", "e"."event_time" as "tf_event_time", "e"."item_id" as "tf_item_id", ROW_NUMBER() OVER (PARTITION BY "e"."user_id" ORDER BY "e"."event_time" DESC NULLS LAST, CAST("e"."item_id" AS text) COLLATE "C" DESC NULLS LAST) as "trigger_rank" from "events" as "e" where "e"."event_name" = $1 and "e"."event_time" >= $2 and "e"."event_time" < $3) as "lt" on "lt"."person_key" = "a"."user_id" and "lt"."trigger_rank" = 1`,
      oracle: `select "A"."USER_ID", "LT"."TF_EVENT_TIME", "LT"."TF_ITEM_ID" from "DIM_USER" "A" inner join (select "E"."USER_ID" "PERSON_KEY", "E"."EVENT_TIME" "TF_EVENT_TIME", "E"."ITEM_ID" "TF_ITEM_ID", ROW_NUMBER() OVER (PARTITION BY "E"."USER_ID" ORDER BY "E"."EVENT_TIME" DESC NULLS LAST, NLSSORT(TO_CHAR("E"."ITEM_ID"), 'NLS_SORT=BINARY') DESC NULLS LAST) as "TRIGGER_RANK" from "EVENTS" "E" where "E"."EVENT_NAME" = :1 and "E"."EVENT_TIME" >= TO_DATE(:2, 'YYYY-MM-DD HH24:MI:SS') and "E"."EVENT_TIME" < TO_DATE(:3, 'YYYY-MM-DD HH24:MI:SS')) "LT" on "LT"."PERSON_KEY" = "A"."USER_ID" and "LT"."TRIGGER_RANK" = 1`,
    },
    bindings: WINDOW,
  },
  {
    feature: 'custom key, name and time columns on a schema-qualified table',
    trigger: '{ table: dw.user_events, key: uid, name: action, time: ts, event: view_item, within: 1d }',
    sql: {
      sqlite:
        'select `a`.`user_id` from `dim_user` as `a` inner join (select `e`.`uid` as `person_key`, ROW_NUMBER() OVER (PARTITION BY `e`.`uid` ORDER BY `e`.`ts` DESC) as `trigger_rank` from `dw`.`user_events` as `e` where `e`.`action` = ? and `e`.`ts` >= ? and `e`.`ts` < ?) as `lt` on `lt`.`person_key` = `a`.`user_id` and `lt`.`trigger_rank` = 1',
      mysql:
        'select `a`.`user_id` from `dim_user` as `a` inner join (select `e`.`uid` as `person_key`, ROW_NUMBER() OVER (PARTITION BY `e`.`uid` ORDER BY `e`.`ts` DESC) as `trigger_rank` from `dw`.`user_events` as `e` where `e`.`action` = CAST(? AS BINARY) and `e`.`ts` >= ? and `e`.`ts` < ?) as `lt` on `lt`.`person_key` = `a`.`user_id` and `lt`.`trigger_rank` = 1',
      postgres: `select "a"."user_id" from "dim_user" as "a" inner join (select "e"."uid" as "person_key", ROW_NUMBER() OVER (PARTITION BY "e"."uid" ORDER BY "e"."ts" DESC NULLS LAST) as "trigger_rank" from "dw"."user_events" as "e" where "e"."action" = $1 and "e"."ts" >= $2 and "e"."ts" < $3) as "lt" on "lt"."person_key" = "a"."user_id" and "lt"."trigger_rank" = 1`,
      oracle: `select "A"."USER_ID" from "DIM_USER" "A" inner join (select "E"."UID" "PERSON_KEY", ROW_NUMBER() OVER (PARTITION BY "E"."UID" ORDER BY "E"."TS" DESC NULLS LAST) as "TRIGGER_RANK" from "DW"."USER_EVENTS" "E" where "E"."ACTION" = :1 and "E"."TS" >= TO_DATE(:2, 'YYYY-MM-DD HH24:MI:SS') and "E"."TS" < TO_DATE(:3, 'YYYY-MM-DD HH24:MI:SS')) "LT" on "LT"."PERSON_KEY" = "A"."USER_ID" and "LT"."TRIGGER_RANK" = 1`,
    },
    bindings: WINDOW,
  },
  {
    feature: 'trigger.id: ties on time go to the greatest id (length, then code points), then the fields',
    trigger: '{ table: events, event: view_item, within: 24h, id: event_id }',
    fields: '[user_id, trigger.channel]',
    sql: {
      sqlite:
        'select `a`.`user_id`, `lt`.`tf_channel` from `dim_user` as `a` inner join (select `e`.`user_id` as `person_key`, `e`.`channel` as `tf_channel`, ROW_NUMBER() OVER (PARTITION BY `e`.`user_id` ORDER BY `e`.`event_time` DESC, length(CAST(`e`.`event_id` AS TEXT)) DESC, CAST(`e`.`event_id` AS TEXT) COLLATE BINARY DESC, CAST(`e`.`channel` AS TEXT) COLLATE BINARY DESC) as `trigger_rank` from `events` as `e` where `e`.`event_name` = ? and `e`.`event_time` >= ? and `e`.`event_time` < ?) as `lt` on `lt`.`person_key` = `a`.`user_id` and `lt`.`trigger_rank` = 1',
      mysql:
        'select `a`.`user_id`, `lt`.`tf_channel` from `dim_user` as `a` inner join (select `e`.`user_id` as `person_key`, `e`.`channel` as `tf_channel`, ROW_NUMBER() OVER (PARTITION BY `e`.`user_id` ORDER BY `e`.`event_time` DESC, CHAR_LENGTH(CAST(`e`.`event_id` AS CHAR)) DESC, CAST(`e`.`event_id` AS BINARY) DESC, CAST(`e`.`channel` AS BINARY) DESC) as `trigger_rank` from `events` as `e` where `e`.`event_name` = CAST(? AS BINARY) and `e`.`event_time` >= ? and `e`.`event_time` < ?) as `lt` on `lt`.`person_key` = `a`.`user_id` and `lt`.`trigger_rank` = 1',
      postgres: `select "a"."user_id", "lt"."tf_channel" from "dim_user" as "a" inner join (select "e"."user_id" as "person_key", "e"."channel" as "tf_channel", ROW_NUMBER() OVER (PARTITION BY "e"."user_id" ORDER BY "e"."event_time" DESC NULLS LAST, char_length(CAST("e"."event_id" AS text)) DESC NULLS LAST, CAST("e"."event_id" AS text) COLLATE "C" DESC NULLS LAST, CAST("e"."channel" AS text) COLLATE "C" DESC NULLS LAST) as "trigger_rank" from "events" as "e" where "e"."event_name" = $1 and "e"."event_time" >= $2 and "e"."event_time" < $3) as "lt" on "lt"."person_key" = "a"."user_id" and "lt"."trigger_rank" = 1`,
      oracle: `select "A"."USER_ID", "LT"."TF_CHANNEL" from "DIM_USER" "A" inner join (select "E"."USER_ID" "PERSON_KEY", "E"."CHANNEL" "TF_CHANNEL", ROW_NUMBER() OVER (PARTITION BY "E"."USER_ID" ORDER BY "E"."EVENT_TIME" DESC NULLS LAST, LENGTH(TO_CHAR("E"."EVENT_ID")) DESC NULLS LAST, NLSSORT(TO_CHAR("E"."EVENT_ID"), 'NLS_SORT=BINARY') DESC NULLS LAST, NLSSORT(TO_CHAR("E"."CHANNEL"), 'NLS_SORT=BINARY') DESC NULLS LAST) as "TRIGGER_RANK" from "EVENTS" "E" where "E"."EVENT_NAME" = :1 and "E"."EVENT_TIME" >= TO_DATE(:2, 'YYYY-MM-DD HH24:MI:SS') and "E"."EVENT_TIME" < TO_DATE(:3, 'YYYY-MM-DD HH24:MI:SS')) "LT" on "LT"."PERSON_KEY" = "A"."USER_ID" and "LT"."TRIGGER_RANK" = 1`,
    },
    bindings: WINDOW,
  },
];

// What follows the derived table, per dialect: the join on rank 1.
const JOIN_ON_RANK_1: PerDialect = {
  sqlite: ') as `lt` on `lt`.`person_key` = `a`.`user_id` and `lt`.`trigger_rank` = 1',
  mysql: ') as `lt` on `lt`.`person_key` = `a`.`user_id` and `lt`.`trigger_rank` = 1',
  postgres: `) as "lt" on "lt"."person_key" = "a"."user_id" and "lt"."trigger_rank" = 1`,
  oracle: `) "LT" on "LT"."PERSON_KEY" = "A"."USER_ID" and "LT"."TRIGGER_RANK" = 1`,
};

/** The derived table's FROM and WHERE: after the first ` from ` that follows ROW_NUMBER. */
function derivedFromWhere(sql: string, dialect: KnexDialect): string {
  expect(sql.endsWith(JOIN_ON_RANK_1[dialect])).toBe(true);
  const start = sql.indexOf(' from ', sql.indexOf('ROW_NUMBER()')) + ' from '.length;
  return sql.slice(start, sql.length - JOIN_ON_RANK_1[dialect].length);
}

const features: ({ feature: string; trigger: string; bindings: unknown[] } & PerDialect)[] = [
  {
    feature: 'event where',
    trigger:
      '{ table: events, event: view_item, within: 24h, where: { duration_s: { gte: 60 }, channel: [app, douyin] } }',
    sqlite:
      '`events` as `e` where `e`.`event_name` = ? and `e`.`event_time` >= ? and `e`.`event_time` < ? and `e`.`duration_s` >= ? and `e`.`channel` in (?, ?)',
    mysql:
      '`events` as `e` where `e`.`event_name` = CAST(? AS BINARY) and `e`.`event_time` >= ? and `e`.`event_time` < ? and `e`.`duration_s` >= ? and `e`.`channel` in (CAST(? AS BINARY), CAST(? AS BINARY))',
    postgres: `"events" as "e" where "e"."event_name" = $1 and "e"."event_time" >= $2 and "e"."event_time" < $3 and "e"."duration_s" >= $4 and "e"."channel" in ($5, $6)`,
    oracle: `"EVENTS" "E" where "E"."EVENT_NAME" = :1 and "E"."EVENT_TIME" >= TO_DATE(:2, 'YYYY-MM-DD HH24:MI:SS') and "E"."EVENT_TIME" < TO_DATE(:3, 'YYYY-MM-DD HH24:MI:SS') and "E"."DURATION_S" >= :4 and "E"."CHANNEL" in (:5, :6)`,
    bindings: ['view_item', '2026-11-22 09:00:00', '2026-11-23 09:00:00', 60, 'app', 'douyin'],
  },
  {
    feature: 'item join with item where',
    trigger:
      '{ table: events, event: view_item, within: 24h, item: { table: dim_item, key: item_id, where: { category: fridge, price: { gt: 5000 } } } }',
    sqlite:
      '`events` as `e` inner join `dim_item` as `i` on `i`.`item_id` = `e`.`item_id` where `e`.`event_name` = ? and `e`.`event_time` >= ? and `e`.`event_time` < ? and `i`.`category` = ? and `i`.`price` > ?',
    mysql:
      '`events` as `e` inner join `dim_item` as `i` on `i`.`item_id` = `e`.`item_id` where `e`.`event_name` = CAST(? AS BINARY) and `e`.`event_time` >= ? and `e`.`event_time` < ? and `i`.`category` = CAST(? AS BINARY) and `i`.`price` > ?',
    postgres: `"events" as "e" inner join "dim_item" as "i" on "i"."item_id" = "e"."item_id" where "e"."event_name" = $1 and "e"."event_time" >= $2 and "e"."event_time" < $3 and "i"."category" = $4 and "i"."price" > $5`,
    oracle: `"EVENTS" "E" inner join "DIM_ITEM" "I" on "I"."ITEM_ID" = "E"."ITEM_ID" where "E"."EVENT_NAME" = :1 and "E"."EVENT_TIME" >= TO_DATE(:2, 'YYYY-MM-DD HH24:MI:SS') and "E"."EVENT_TIME" < TO_DATE(:3, 'YYYY-MM-DD HH24:MI:SS') and "I"."CATEGORY" = :4 and "I"."PRICE" > :5`,
    bindings: ['view_item', '2026-11-22 09:00:00', '2026-11-23 09:00:00', 'fridge', 5000],
  },
  {
    feature: 'item join with event_key',
    trigger: '{ table: events, event: view_item, within: 24h, item: { table: dim_item, key: id, event_key: sku_id } }',
    sqlite:
      '`events` as `e` inner join `dim_item` as `i` on `i`.`id` = `e`.`sku_id` where `e`.`event_name` = ? and `e`.`event_time` >= ? and `e`.`event_time` < ?',
    mysql:
      '`events` as `e` inner join `dim_item` as `i` on `i`.`id` = `e`.`sku_id` where `e`.`event_name` = CAST(? AS BINARY) and `e`.`event_time` >= ? and `e`.`event_time` < ?',
    postgres: `"events" as "e" inner join "dim_item" as "i" on "i"."id" = "e"."sku_id" where "e"."event_name" = $1 and "e"."event_time" >= $2 and "e"."event_time" < $3`,
    oracle: `"EVENTS" "E" inner join "DIM_ITEM" "I" on "I"."ID" = "E"."SKU_ID" where "E"."EVENT_NAME" = :1 and "E"."EVENT_TIME" >= TO_DATE(:2, 'YYYY-MM-DD HH24:MI:SS') and "E"."EVENT_TIME" < TO_DATE(:3, 'YYYY-MM-DD HH24:MI:SS')`,
    bindings: ['view_item', '2026-11-22 09:00:00', '2026-11-23 09:00:00'],
  },
  {
    feature: 'not_followed_by with where (the wait bound, then NOT EXISTS)',
    trigger:
      '{ table: events, event: view_item, within: 24h, not_followed_by: { event: pay_order, within: 30m, where: { amount: { gt: 0 } } } }',
    sqlite:
      "`events` as `e` where `e`.`event_name` = ? and `e`.`event_time` >= ? and `e`.`event_time` < ? and `e`.`event_time` <= ? and not exists (select 1 from `events` as `b` where `b`.`user_id` = `e`.`user_id` and `b`.`event_name` = ? and `b`.`event_time` > `e`.`event_time` and `b`.`event_time` <= datetime(`e`.`event_time`, '+' || ? || ' seconds') and `b`.`amount` > ?)",
    mysql:
      '`events` as `e` where `e`.`event_name` = CAST(? AS BINARY) and `e`.`event_time` >= ? and `e`.`event_time` < ? and `e`.`event_time` <= ? and not exists (select 1 from `events` as `b` where `b`.`user_id` = `e`.`user_id` and `b`.`event_name` = CAST(? AS BINARY) and `b`.`event_time` > `e`.`event_time` and `b`.`event_time` <= DATE_ADD(`e`.`event_time`, INTERVAL ? SECOND) and `b`.`amount` > ?)',
    postgres: `"events" as "e" where "e"."event_name" = $1 and "e"."event_time" >= $2 and "e"."event_time" < $3 and "e"."event_time" <= $4 and not exists (select 1 from "events" as "b" where "b"."user_id" = "e"."user_id" and "b"."event_name" = $5 and "b"."event_time" > "e"."event_time" and "b"."event_time" <= ("e"."event_time" + CAST($6 AS integer) * INTERVAL '1 second') and "b"."amount" > $7)`,
    oracle: `"EVENTS" "E" where "E"."EVENT_NAME" = :1 and "E"."EVENT_TIME" >= TO_DATE(:2, 'YYYY-MM-DD HH24:MI:SS') and "E"."EVENT_TIME" < TO_DATE(:3, 'YYYY-MM-DD HH24:MI:SS') and "E"."EVENT_TIME" <= TO_DATE(:4, 'YYYY-MM-DD HH24:MI:SS') and not exists (select 1 from "EVENTS" "B" where "B"."USER_ID" = "E"."USER_ID" and "B"."EVENT_NAME" = :5 and "B"."EVENT_TIME" > "E"."EVENT_TIME" and "B"."EVENT_TIME" <= ("E"."EVENT_TIME" + NUMTODSINTERVAL(:6, 'SECOND')) and "B"."AMOUNT" > :7)`,
    bindings: ['view_item', '2026-11-22 09:00:00', '2026-11-23 09:00:00', '2026-11-23 08:30:00', 'pay_order', 1800, 0],
  },
  {
    feature: 'followed_by, one step (one window-function pass)',
    trigger: '{ table: events, event: view_item, within: 24h, followed_by: [ { event: add_cart, within: 1h } ] }',
    sqlite:
      "(select `x`.`user_id`, `x`.`event_time`, `x`.`crm_step`, MIN(CASE WHEN `x`.`crm_step` = 1 THEN `x`.`event_time` END) OVER (PARTITION BY `x`.`user_id` ORDER BY `x`.`event_time`, `x`.`crm_step` DESC ROWS BETWEEN 1 FOLLOWING AND UNBOUNDED FOLLOWING) as `crm_next` from (select `e`.`user_id`, `e`.`event_time`, 0 as `crm_step` from `events` as `e` where `e`.`event_name` = ? and `e`.`event_time` >= ? and `e`.`event_time` < ? union all select `s1`.`user_id`, `s1`.`event_time`, 1 as `crm_step` from `events` as `s1` where `s1`.`event_name` = ? and `s1`.`event_time` > ? and `s1`.`event_time` < ?) as `x`) as `e` where `e`.`crm_step` = 0 and `e`.`crm_next` <= datetime(`e`.`event_time`, '+' || ? || ' seconds')",
    mysql:
      '(select `x`.`user_id`, `x`.`event_time`, `x`.`crm_step`, MIN(CASE WHEN `x`.`crm_step` = 1 THEN `x`.`event_time` END) OVER (PARTITION BY `x`.`user_id` ORDER BY `x`.`event_time`, `x`.`crm_step` DESC ROWS BETWEEN 1 FOLLOWING AND UNBOUNDED FOLLOWING) as `crm_next` from (select `e`.`user_id`, `e`.`event_time`, 0 as `crm_step` from `events` as `e` where `e`.`event_name` = CAST(? AS BINARY) and `e`.`event_time` >= ? and `e`.`event_time` < ? union all select `s1`.`user_id`, `s1`.`event_time`, 1 as `crm_step` from `events` as `s1` where `s1`.`event_name` = CAST(? AS BINARY) and `s1`.`event_time` > ? and `s1`.`event_time` < ?) as `x`) as `e` where `e`.`crm_step` = 0 and `e`.`crm_next` <= DATE_ADD(`e`.`event_time`, INTERVAL ? SECOND)',
    postgres:
      '(select "x"."user_id", "x"."event_time", "x"."crm_step", MIN(CASE WHEN "x"."crm_step" = 1 THEN "x"."event_time" END) OVER (PARTITION BY "x"."user_id" ORDER BY "x"."event_time", "x"."crm_step" DESC ROWS BETWEEN 1 FOLLOWING AND UNBOUNDED FOLLOWING) as "crm_next" from (select "e"."user_id", "e"."event_time", 0 as "crm_step" from "events" as "e" where "e"."event_name" = $1 and "e"."event_time" >= $2 and "e"."event_time" < $3 union all select "s1"."user_id", "s1"."event_time", 1 as "crm_step" from "events" as "s1" where "s1"."event_name" = $4 and "s1"."event_time" > $5 and "s1"."event_time" < $6) as "x") as "e" where "e"."crm_step" = 0 and "e"."crm_next" <= ("e"."event_time" + CAST($7 AS integer) * INTERVAL \'1 second\')',
    oracle:
      '(select "X"."USER_ID", "X"."EVENT_TIME", "X"."CRM_STEP", MIN(CASE WHEN "X"."CRM_STEP" = 1 THEN "X"."EVENT_TIME" END) OVER (PARTITION BY "X"."USER_ID" ORDER BY "X"."EVENT_TIME", "X"."CRM_STEP" DESC ROWS BETWEEN 1 FOLLOWING AND UNBOUNDED FOLLOWING) as "CRM_NEXT" from (select "E"."USER_ID", "E"."EVENT_TIME", 0 as "CRM_STEP" from "EVENTS" "E" where "E"."EVENT_NAME" = :1 and "E"."EVENT_TIME" >= TO_DATE(:2, \'YYYY-MM-DD HH24:MI:SS\') and "E"."EVENT_TIME" < TO_DATE(:3, \'YYYY-MM-DD HH24:MI:SS\') union all select "S1"."USER_ID", "S1"."EVENT_TIME", 1 as "CRM_STEP" from "EVENTS" "S1" where "S1"."EVENT_NAME" = :4 and "S1"."EVENT_TIME" > TO_DATE(:5, \'YYYY-MM-DD HH24:MI:SS\') and "S1"."EVENT_TIME" < TO_DATE(:6, \'YYYY-MM-DD HH24:MI:SS\')) "X") "E" where "E"."CRM_STEP" = 0 and "E"."CRM_NEXT" <= ("E"."EVENT_TIME" + NUMTODSINTERVAL(:7, \'SECOND\'))',
    bindings: [
      'view_item',
      '2026-11-22 09:00:00',
      '2026-11-23 09:00:00',
      'add_cart',
      '2026-11-22 09:00:00',
      '2026-11-23 09:00:00',
      3600,
    ],
  },
  {
    feature: 'followed_by, two steps (a window level per step, from the last)',
    trigger:
      '{ table: events, event: view_item, within: 24h, followed_by: [ { event: add_cart, within: 1h }, { event: checkout, within: 2h, where: { amount: { gt: 0 } } } ] }',
    sqlite:
      "(select `x`.`user_id`, `x`.`event_time`, `x`.`crm_step`, MIN(CASE WHEN `x`.`crm_step` = 1 THEN `x`.`event_time` END) OVER (PARTITION BY `x`.`user_id` ORDER BY `x`.`event_time`, `x`.`crm_step` DESC ROWS BETWEEN 1 FOLLOWING AND UNBOUNDED FOLLOWING) as `crm_next` from (select `x`.`user_id`, `x`.`event_time`, `x`.`crm_step`, MIN(CASE WHEN `x`.`crm_step` = 2 THEN `x`.`event_time` END) OVER (PARTITION BY `x`.`user_id` ORDER BY `x`.`event_time`, `x`.`crm_step` DESC ROWS BETWEEN 1 FOLLOWING AND UNBOUNDED FOLLOWING) as `crm_next` from (select `e`.`user_id`, `e`.`event_time`, 0 as `crm_step` from `events` as `e` where `e`.`event_name` = ? and `e`.`event_time` >= ? and `e`.`event_time` < ? union all select `s1`.`user_id`, `s1`.`event_time`, 1 as `crm_step` from `events` as `s1` where `s1`.`event_name` = ? and `s1`.`event_time` > ? and `s1`.`event_time` < ? union all select `s2`.`user_id`, `s2`.`event_time`, 2 as `crm_step` from `events` as `s2` where `s2`.`event_name` = ? and `s2`.`event_time` > ? and `s2`.`event_time` < ? and `s2`.`amount` > ?) as `x`) as `x` where (`x`.`crm_step` < 1 or (`x`.`crm_step` = 1 and `x`.`crm_next` <= datetime(`x`.`event_time`, '+' || ? || ' seconds')))) as `e` where `e`.`crm_step` = 0 and `e`.`crm_next` <= datetime(`e`.`event_time`, '+' || ? || ' seconds')",
    mysql:
      '(select `x`.`user_id`, `x`.`event_time`, `x`.`crm_step`, MIN(CASE WHEN `x`.`crm_step` = 1 THEN `x`.`event_time` END) OVER (PARTITION BY `x`.`user_id` ORDER BY `x`.`event_time`, `x`.`crm_step` DESC ROWS BETWEEN 1 FOLLOWING AND UNBOUNDED FOLLOWING) as `crm_next` from (select `x`.`user_id`, `x`.`event_time`, `x`.`crm_step`, MIN(CASE WHEN `x`.`crm_step` = 2 THEN `x`.`event_time` END) OVER (PARTITION BY `x`.`user_id` ORDER BY `x`.`event_time`, `x`.`crm_step` DESC ROWS BETWEEN 1 FOLLOWING AND UNBOUNDED FOLLOWING) as `crm_next` from (select `e`.`user_id`, `e`.`event_time`, 0 as `crm_step` from `events` as `e` where `e`.`event_name` = CAST(? AS BINARY) and `e`.`event_time` >= ? and `e`.`event_time` < ? union all select `s1`.`user_id`, `s1`.`event_time`, 1 as `crm_step` from `events` as `s1` where `s1`.`event_name` = CAST(? AS BINARY) and `s1`.`event_time` > ? and `s1`.`event_time` < ? union all select `s2`.`user_id`, `s2`.`event_time`, 2 as `crm_step` from `events` as `s2` where `s2`.`event_name` = CAST(? AS BINARY) and `s2`.`event_time` > ? and `s2`.`event_time` < ? and `s2`.`amount` > ?) as `x`) as `x` where (`x`.`crm_step` < 1 or (`x`.`crm_step` = 1 and `x`.`crm_next` <= DATE_ADD(`x`.`event_time`, INTERVAL ? SECOND)))) as `e` where `e`.`crm_step` = 0 and `e`.`crm_next` <= DATE_ADD(`e`.`event_time`, INTERVAL ? SECOND)',
    postgres:
      '(select "x"."user_id", "x"."event_time", "x"."crm_step", MIN(CASE WHEN "x"."crm_step" = 1 THEN "x"."event_time" END) OVER (PARTITION BY "x"."user_id" ORDER BY "x"."event_time", "x"."crm_step" DESC ROWS BETWEEN 1 FOLLOWING AND UNBOUNDED FOLLOWING) as "crm_next" from (select "x"."user_id", "x"."event_time", "x"."crm_step", MIN(CASE WHEN "x"."crm_step" = 2 THEN "x"."event_time" END) OVER (PARTITION BY "x"."user_id" ORDER BY "x"."event_time", "x"."crm_step" DESC ROWS BETWEEN 1 FOLLOWING AND UNBOUNDED FOLLOWING) as "crm_next" from (select "e"."user_id", "e"."event_time", 0 as "crm_step" from "events" as "e" where "e"."event_name" = $1 and "e"."event_time" >= $2 and "e"."event_time" < $3 union all select "s1"."user_id", "s1"."event_time", 1 as "crm_step" from "events" as "s1" where "s1"."event_name" = $4 and "s1"."event_time" > $5 and "s1"."event_time" < $6 union all select "s2"."user_id", "s2"."event_time", 2 as "crm_step" from "events" as "s2" where "s2"."event_name" = $7 and "s2"."event_time" > $8 and "s2"."event_time" < $9 and "s2"."amount" > $10) as "x") as "x" where ("x"."crm_step" < 1 or ("x"."crm_step" = 1 and "x"."crm_next" <= ("x"."event_time" + CAST($11 AS integer) * INTERVAL \'1 second\')))) as "e" where "e"."crm_step" = 0 and "e"."crm_next" <= ("e"."event_time" + CAST($12 AS integer) * INTERVAL \'1 second\')',
    oracle:
      '(select "X"."USER_ID", "X"."EVENT_TIME", "X"."CRM_STEP", MIN(CASE WHEN "X"."CRM_STEP" = 1 THEN "X"."EVENT_TIME" END) OVER (PARTITION BY "X"."USER_ID" ORDER BY "X"."EVENT_TIME", "X"."CRM_STEP" DESC ROWS BETWEEN 1 FOLLOWING AND UNBOUNDED FOLLOWING) as "CRM_NEXT" from (select "X"."USER_ID", "X"."EVENT_TIME", "X"."CRM_STEP", MIN(CASE WHEN "X"."CRM_STEP" = 2 THEN "X"."EVENT_TIME" END) OVER (PARTITION BY "X"."USER_ID" ORDER BY "X"."EVENT_TIME", "X"."CRM_STEP" DESC ROWS BETWEEN 1 FOLLOWING AND UNBOUNDED FOLLOWING) as "CRM_NEXT" from (select "E"."USER_ID", "E"."EVENT_TIME", 0 as "CRM_STEP" from "EVENTS" "E" where "E"."EVENT_NAME" = :1 and "E"."EVENT_TIME" >= TO_DATE(:2, \'YYYY-MM-DD HH24:MI:SS\') and "E"."EVENT_TIME" < TO_DATE(:3, \'YYYY-MM-DD HH24:MI:SS\') union all select "S1"."USER_ID", "S1"."EVENT_TIME", 1 as "CRM_STEP" from "EVENTS" "S1" where "S1"."EVENT_NAME" = :4 and "S1"."EVENT_TIME" > TO_DATE(:5, \'YYYY-MM-DD HH24:MI:SS\') and "S1"."EVENT_TIME" < TO_DATE(:6, \'YYYY-MM-DD HH24:MI:SS\') union all select "S2"."USER_ID", "S2"."EVENT_TIME", 2 as "CRM_STEP" from "EVENTS" "S2" where "S2"."EVENT_NAME" = :7 and "S2"."EVENT_TIME" > TO_DATE(:8, \'YYYY-MM-DD HH24:MI:SS\') and "S2"."EVENT_TIME" < TO_DATE(:9, \'YYYY-MM-DD HH24:MI:SS\') and "S2"."AMOUNT" > :10) "X") "X" where ("X"."CRM_STEP" < 1 or ("X"."CRM_STEP" = 1 and "X"."CRM_NEXT" <= ("X"."EVENT_TIME" + NUMTODSINTERVAL(:11, \'SECOND\'))))) "E" where "E"."CRM_STEP" = 0 and "E"."CRM_NEXT" <= ("E"."EVENT_TIME" + NUMTODSINTERVAL(:12, \'SECOND\'))',
    bindings: [
      'view_item',
      '2026-11-22 09:00:00',
      '2026-11-23 09:00:00',
      'add_cart',
      '2026-11-22 09:00:00',
      '2026-11-23 09:00:00',
      'checkout',
      '2026-11-22 09:00:00',
      '2026-11-23 09:00:00',
      0,
      7200,
      3600,
    ],
  },
  {
    // The sequence probes repeat A's item join condition, so that MariaDB runs them only for
    // events whose item qualifies (see trigger.ts); s2 is inside s1 and needs no repeat.
    feature: 'item join with not_followed_by and followed_by: the probes reference the item',
    trigger:
      '{ table: events, event: view_item, within: 24h, item: { table: dim_item, key: id, event_key: sku_id, where: { category: fridge } }, not_followed_by: { event: pay_order, within: 30m }, followed_by: [ { event: add_cart, within: 1h }, { event: checkout, within: 1h } ] }',
    sqlite:
      "`events` as `e` inner join `dim_item` as `i` on `i`.`id` = `e`.`sku_id` where `e`.`event_name` = ? and `e`.`event_time` >= ? and `e`.`event_time` < ? and `i`.`category` = ? and `e`.`event_time` <= ? and not exists (select 1 from `events` as `b` where `b`.`user_id` = `e`.`user_id` and `b`.`event_name` = ? and `b`.`event_time` > `e`.`event_time` and `b`.`event_time` <= datetime(`e`.`event_time`, '+' || ? || ' seconds') and `i`.`id` = `e`.`sku_id`) and exists (select 1 from `events` as `s1` where `s1`.`user_id` = `e`.`user_id` and `s1`.`event_name` = ? and `s1`.`event_time` > `e`.`event_time` and `s1`.`event_time` <= datetime(`e`.`event_time`, '+' || ? || ' seconds') and `i`.`id` = `e`.`sku_id` and `s1`.`event_time` < ? and exists (select 1 from `events` as `s2` where `s2`.`user_id` = `s1`.`user_id` and `s2`.`event_name` = ? and `s2`.`event_time` > `s1`.`event_time` and `s2`.`event_time` <= datetime(`s1`.`event_time`, '+' || ? || ' seconds') and `s2`.`event_time` < ?))",
    mysql:
      '`events` as `e` inner join `dim_item` as `i` on `i`.`id` = `e`.`sku_id` where `e`.`event_name` = CAST(? AS BINARY) and `e`.`event_time` >= ? and `e`.`event_time` < ? and `i`.`category` = CAST(? AS BINARY) and `e`.`event_time` <= ? and not exists (select 1 from `events` as `b` where `b`.`user_id` = `e`.`user_id` and `b`.`event_name` = CAST(? AS BINARY) and `b`.`event_time` > `e`.`event_time` and `b`.`event_time` <= DATE_ADD(`e`.`event_time`, INTERVAL ? SECOND) and `i`.`id` = `e`.`sku_id`) and exists (select 1 from `events` as `s1` where `s1`.`user_id` = `e`.`user_id` and `s1`.`event_name` = CAST(? AS BINARY) and `s1`.`event_time` > `e`.`event_time` and `s1`.`event_time` <= DATE_ADD(`e`.`event_time`, INTERVAL ? SECOND) and `i`.`id` = `e`.`sku_id` and `s1`.`event_time` < ? and exists (select 1 from `events` as `s2` where `s2`.`user_id` = `s1`.`user_id` and `s2`.`event_name` = CAST(? AS BINARY) and `s2`.`event_time` > `s1`.`event_time` and `s2`.`event_time` <= DATE_ADD(`s1`.`event_time`, INTERVAL ? SECOND) and `s2`.`event_time` < ?))',
    postgres: `"events" as "e" inner join "dim_item" as "i" on "i"."id" = "e"."sku_id" where "e"."event_name" = $1 and "e"."event_time" >= $2 and "e"."event_time" < $3 and "i"."category" = $4 and "e"."event_time" <= $5 and not exists (select 1 from "events" as "b" where "b"."user_id" = "e"."user_id" and "b"."event_name" = $6 and "b"."event_time" > "e"."event_time" and "b"."event_time" <= ("e"."event_time" + CAST($7 AS integer) * INTERVAL '1 second') and "i"."id" = "e"."sku_id") and exists (select 1 from "events" as "s1" where "s1"."user_id" = "e"."user_id" and "s1"."event_name" = $8 and "s1"."event_time" > "e"."event_time" and "s1"."event_time" <= ("e"."event_time" + CAST($9 AS integer) * INTERVAL '1 second') and "i"."id" = "e"."sku_id" and "s1"."event_time" < $10 and exists (select 1 from "events" as "s2" where "s2"."user_id" = "s1"."user_id" and "s2"."event_name" = $11 and "s2"."event_time" > "s1"."event_time" and "s2"."event_time" <= ("s1"."event_time" + CAST($12 AS integer) * INTERVAL '1 second') and "s2"."event_time" < $13))`,
    oracle: `"EVENTS" "E" inner join "DIM_ITEM" "I" on "I"."ID" = "E"."SKU_ID" where "E"."EVENT_NAME" = :1 and "E"."EVENT_TIME" >= TO_DATE(:2, 'YYYY-MM-DD HH24:MI:SS') and "E"."EVENT_TIME" < TO_DATE(:3, 'YYYY-MM-DD HH24:MI:SS') and "I"."CATEGORY" = :4 and "E"."EVENT_TIME" <= TO_DATE(:5, 'YYYY-MM-DD HH24:MI:SS') and not exists (select 1 from "EVENTS" "B" where "B"."USER_ID" = "E"."USER_ID" and "B"."EVENT_NAME" = :6 and "B"."EVENT_TIME" > "E"."EVENT_TIME" and "B"."EVENT_TIME" <= ("E"."EVENT_TIME" + NUMTODSINTERVAL(:7, 'SECOND')) and "I"."ID" = "E"."SKU_ID") and exists (select 1 from "EVENTS" "S1" where "S1"."USER_ID" = "E"."USER_ID" and "S1"."EVENT_NAME" = :8 and "S1"."EVENT_TIME" > "E"."EVENT_TIME" and "S1"."EVENT_TIME" <= ("E"."EVENT_TIME" + NUMTODSINTERVAL(:9, 'SECOND')) and "I"."ID" = "E"."SKU_ID" and "S1"."EVENT_TIME" < TO_DATE(:10, 'YYYY-MM-DD HH24:MI:SS') and exists (select 1 from "EVENTS" "S2" where "S2"."USER_ID" = "S1"."USER_ID" and "S2"."EVENT_NAME" = :11 and "S2"."EVENT_TIME" > "S1"."EVENT_TIME" and "S2"."EVENT_TIME" <= ("S1"."EVENT_TIME" + NUMTODSINTERVAL(:12, 'SECOND')) and "S2"."EVENT_TIME" < TO_DATE(:13, 'YYYY-MM-DD HH24:MI:SS')))`,
    bindings: [
      'view_item',
      '2026-11-22 09:00:00',
      '2026-11-23 09:00:00',
      'fridge',
      '2026-11-23 08:30:00',
      'pay_order',
      1800,
      'add_cart',
      3600,
      '2026-11-23 09:00:00',
      'checkout',
      3600,
      '2026-11-23 09:00:00',
    ],
  },
  {
    feature: 'partition predicate on A and on B',
    trigger:
      '{ table: events, event: view_item, within: 24h, partition: { column: dt, format: yyyyMMdd }, not_followed_by: { event: pay_order, within: 30m } }',
    sqlite:
      "`events` as `e` where `e`.`event_name` = ? and `e`.`event_time` >= ? and `e`.`event_time` < ? and `e`.`dt` >= ? and `e`.`dt` <= ? and `e`.`event_time` <= ? and not exists (select 1 from `events` as `b` where `b`.`user_id` = `e`.`user_id` and `b`.`event_name` = ? and `b`.`event_time` > `e`.`event_time` and `b`.`event_time` <= datetime(`e`.`event_time`, '+' || ? || ' seconds') and `b`.`dt` >= ? and `b`.`dt` <= ?)",
    mysql:
      '`events` as `e` where `e`.`event_name` = CAST(? AS BINARY) and `e`.`event_time` >= ? and `e`.`event_time` < ? and `e`.`dt` >= ? and `e`.`dt` <= ? and `e`.`event_time` <= ? and not exists (select 1 from `events` as `b` where `b`.`user_id` = `e`.`user_id` and `b`.`event_name` = CAST(? AS BINARY) and `b`.`event_time` > `e`.`event_time` and `b`.`event_time` <= DATE_ADD(`e`.`event_time`, INTERVAL ? SECOND) and `b`.`dt` >= ? and `b`.`dt` <= ?)',
    postgres: `"events" as "e" where "e"."event_name" = $1 and "e"."event_time" >= $2 and "e"."event_time" < $3 and "e"."dt" >= $4 and "e"."dt" <= $5 and "e"."event_time" <= $6 and not exists (select 1 from "events" as "b" where "b"."user_id" = "e"."user_id" and "b"."event_name" = $7 and "b"."event_time" > "e"."event_time" and "b"."event_time" <= ("e"."event_time" + CAST($8 AS integer) * INTERVAL '1 second') and "b"."dt" >= $9 and "b"."dt" <= $10)`,
    oracle: `"EVENTS" "E" where "E"."EVENT_NAME" = :1 and "E"."EVENT_TIME" >= TO_DATE(:2, 'YYYY-MM-DD HH24:MI:SS') and "E"."EVENT_TIME" < TO_DATE(:3, 'YYYY-MM-DD HH24:MI:SS') and "E"."DT" >= :4 and "E"."DT" <= :5 and "E"."EVENT_TIME" <= TO_DATE(:6, 'YYYY-MM-DD HH24:MI:SS') and not exists (select 1 from "EVENTS" "B" where "B"."USER_ID" = "E"."USER_ID" and "B"."EVENT_NAME" = :7 and "B"."EVENT_TIME" > "E"."EVENT_TIME" and "B"."EVENT_TIME" <= ("E"."EVENT_TIME" + NUMTODSINTERVAL(:8, 'SECOND')) and "B"."DT" >= :9 and "B"."DT" <= :10)`,
    bindings: [
      'view_item',
      '2026-11-22 09:00:00',
      '2026-11-23 09:00:00',
      '20261122',
      '20261123',
      '2026-11-23 08:30:00',
      'pay_order',
      1800,
      '20261122',
      '20261123',
    ],
  },
];

describe.each(DIALECTS)('trigger SQL on %s', (dialect) => {
  it.each(whole)('$feature', ({ trigger, fields, sql, bindings }) => {
    const query = render(dialect, trigger, fields);
    expect(query.sql).toBe(sql[dialect]);
    expect(query.bindings).toEqual(bindings);
  });

  it.each(features)('$feature', (c) => {
    const query = render(dialect, c.trigger);
    expect(derivedFromWhere(query.sql, dialect)).toBe(c[dialect]);
    expect(query.bindings).toEqual(c.bindings);
  });
});
