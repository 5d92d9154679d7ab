// Expected SQL per dialect for item-aware sequences (issue 13): B and followed_by steps with item
// conditions (the trigger's item table or their own), same_item, their own table and columns,
// followed_within, and trigger.item.X fields. Run time 2026-11-23 09:00:00 Asia/Shanghai.
// The whole statements are pinned; Hive also passes Hive's grammar, or is refused with the reason
// where a rule would need a subquery to see its grandparent query.
import { describe, expect, it } from 'vitest';
import { SpecError } from '../../src/errors.ts';
import { renderQuery } from '../../src/sql/render-query.ts';
import { renderHiveQuery } from '../../src/sql/hive/render-hive.ts';
import { hiveSyntaxErrors } from '../support/hiveql.ts';
import { planTrigger } from '../support/planned-job.ts';

type Dialect = 'sqlite' | 'mysql' | 'postgres' | 'oracle';
const DIALECTS: Dialect[] = ['sqlite', 'mysql', 'postgres', 'oracle'];
const A = 'table: events, event: view_item, within: 24h, item: { table: dim_item, where: { category: fridge } }';

const plan = planTrigger;

const cases: ({ feature: string; trigger: string; bindings: unknown[]; hive: string } & Record<Dialect, string>)[] = [
  {
    feature: 'B with its own item table and key, same_item',
    trigger: `{ ${A}, not_followed_by: { event: pay_order, within: 30m, same_item: true, item: { table: dim_sku, key: sku_id, event_key: sku, where: { brand: 西门子 } } } }`,
    sqlite:
      "select `a`.`user_id` from `dim_user` as `a` inner join (select `e`.`user_id` as `person_key`, ROW_NUMBER() OVER (PARTITION BY `e`.`user_id` ORDER BY `e`.`event_time` DESC) as `trigger_rank` from `events` as `e` inner join `dim_item` as `i` on `i`.`item_id` = `e`.`item_id` where `e`.`event_name` = ? and `e`.`event_time` >= ? and `e`.`event_time` < ? and `i`.`category` = ? and `e`.`event_time` <= ? and not exists (select 1 from `events` as `b` inner join `dim_sku` as `b_i` on `b_i`.`sku_id` = `b`.`sku` where `b`.`user_id` = `e`.`user_id` and `b`.`event_name` = ? and `b`.`event_time` > `e`.`event_time` and `b`.`event_time` <= datetime(`e`.`event_time`, '+' || ? || ' seconds') and `i`.`item_id` = `e`.`item_id` and `b_i`.`brand` = ? and `b`.`sku` = `e`.`item_id`)) as `lt` on `lt`.`person_key` = `a`.`user_id` and `lt`.`trigger_rank` = 1",
    mysql:
      'select `a`.`user_id` from `dim_user` as `a` inner join (select `e`.`user_id` as `person_key`, ROW_NUMBER() OVER (PARTITION BY `e`.`user_id` ORDER BY `e`.`event_time` DESC) as `trigger_rank` from `events` as `e` inner join `dim_item` as `i` on `i`.`item_id` = `e`.`item_id` where `e`.`event_name` = CAST(? AS BINARY) and `e`.`event_time` >= ? and `e`.`event_time` < ? and `i`.`category` = CAST(? AS BINARY) and `e`.`event_time` <= ? and not exists (select 1 from `events` as `b` inner join `dim_sku` as `b_i` on `b_i`.`sku_id` = `b`.`sku` where `b`.`user_id` = `e`.`user_id` and `b`.`event_name` = CAST(? AS BINARY) and `b`.`event_time` > `e`.`event_time` and `b`.`event_time` <= DATE_ADD(`e`.`event_time`, INTERVAL ? SECOND) and `i`.`item_id` = `e`.`item_id` and `b_i`.`brand` = CAST(? AS BINARY) and `b`.`sku` = `e`.`item_id`)) as `lt` on `lt`.`person_key` = `a`.`user_id` and `lt`.`trigger_rank` = 1',
    postgres:
      'select "a"."user_id" from "dim_user" as "a" inner join (select "e"."user_id" as "person_key", ROW_NUMBER() OVER (PARTITION BY "e"."user_id" ORDER BY "e"."event_time" DESC NULLS LAST) as "trigger_rank" from "events" as "e" inner join "dim_item" as "i" on "i"."item_id" = "e"."item_id" where "e"."event_name" = $1 and "e"."event_time" >= $2 and "e"."event_time" < $3 and "i"."category" = $4 and "e"."event_time" <= $5 and not exists (select 1 from "events" as "b" inner join "dim_sku" as "b_i" on "b_i"."sku_id" = "b"."sku" where "b"."user_id" = "e"."user_id" and "b"."event_name" = $6 and "b"."event_time" > "e"."event_time" and "b"."event_time" <= ("e"."event_time" + CAST($7 AS integer) * INTERVAL \'1 second\') and "i"."item_id" = "e"."item_id" and "b_i"."brand" = $8 and "b"."sku" = "e"."item_id")) as "lt" on "lt"."person_key" = "a"."user_id" and "lt"."trigger_rank" = 1',
    oracle:
      'select "A"."USER_ID" from "DIM_USER" "A" inner join (select "E"."USER_ID" "PERSON_KEY", ROW_NUMBER() OVER (PARTITION BY "E"."USER_ID" ORDER BY "E"."EVENT_TIME" DESC NULLS LAST) as "TRIGGER_RANK" from "EVENTS" "E" inner join "DIM_ITEM" "I" on "I"."ITEM_ID" = "E"."ITEM_ID" where "E"."EVENT_NAME" = :1 and "E"."EVENT_TIME" >= TO_DATE(:2, \'YYYY-MM-DD HH24:MI:SS\') and "E"."EVENT_TIME" < TO_DATE(:3, \'YYYY-MM-DD HH24:MI:SS\') and "I"."CATEGORY" = :4 and "E"."EVENT_TIME" <= TO_DATE(:5, \'YYYY-MM-DD HH24:MI:SS\') and not exists (select 1 from "EVENTS" "B" inner join "DIM_SKU" "B_I" on "B_I"."SKU_ID" = "B"."SKU" where "B"."USER_ID" = "E"."USER_ID" and "B"."EVENT_NAME" = :6 and "B"."EVENT_TIME" > "E"."EVENT_TIME" and "B"."EVENT_TIME" <= ("E"."EVENT_TIME" + NUMTODSINTERVAL(:7, \'SECOND\')) and "I"."ITEM_ID" = "E"."ITEM_ID" and "B_I"."BRAND" = :8 and "B"."SKU" = "E"."ITEM_ID")) "LT" on "LT"."PERSON_KEY" = "A"."USER_ID" and "LT"."TRIGGER_RANK" = 1',
    hive: "select `a`.`user_id` from `dim_user` as `a` inner join (select `e`.`user_id` as `person_key`, ROW_NUMBER() OVER (PARTITION BY `e`.`user_id` ORDER BY `e`.`event_time` DESC) as `trigger_rank` from `events` as `e` inner join `dim_item` as `i` on `i`.`item_id` = `e`.`item_id` where `e`.`event_name` = 'view_item' and `e`.`event_time` >= TIMESTAMP '2026-11-22 09:00:00' and `e`.`event_time` < TIMESTAMP '2026-11-23 09:00:00' and `i`.`category` = 'fridge' and `e`.`event_time` <= TIMESTAMP '2026-11-23 08:30:00' and not exists (select 1 from `events` as `b` inner join `dim_sku` as `b_i` on `b_i`.`sku_id` = `b`.`sku` where `b`.`user_id` = `e`.`user_id` and `b`.`event_name` = 'pay_order' and `b`.`event_time` > `e`.`event_time` and `b`.`event_time` <= (`e`.`event_time` + INTERVAL '1800' SECOND) and `i`.`item_id` = `e`.`item_id` and `b_i`.`brand` = '西门子' and `b`.`sku` = `e`.`item_id`)) as `lt` on `lt`.`person_key` = `a`.`user_id` and `lt`.`trigger_rank` = 1",
    bindings: [
      'view_item',
      '2026-11-22 09:00:00',
      '2026-11-23 09:00:00',
      'fridge',
      '2026-11-23 08:30:00',
      'pay_order',
      1800,
      '西门子',
    ],
  },
  {
    feature: 'B from its own table with its own key, name and time columns',
    trigger: `{ ${A}, not_followed_by: { table: server_events, key: uid, name: action, time: ts, event: pay_success, within: 30m } }`,
    sqlite:
      "select `a`.`user_id` from `dim_user` as `a` inner join (select `e`.`user_id` as `person_key`, ROW_NUMBER() OVER (PARTITION BY `e`.`user_id` ORDER BY `e`.`event_time` DESC) as `trigger_rank` from `events` as `e` inner join `dim_item` as `i` on `i`.`item_id` = `e`.`item_id` where `e`.`event_name` = ? and `e`.`event_time` >= ? and `e`.`event_time` < ? and `i`.`category` = ? and `e`.`event_time` <= ? and not exists (select 1 from `server_events` as `b` where `b`.`uid` = `e`.`user_id` and `b`.`action` = ? and `b`.`ts` > `e`.`event_time` and `b`.`ts` <= datetime(`e`.`event_time`, '+' || ? || ' seconds') and `i`.`item_id` = `e`.`item_id`)) as `lt` on `lt`.`person_key` = `a`.`user_id` and `lt`.`trigger_rank` = 1",
    mysql:
      'select `a`.`user_id` from `dim_user` as `a` inner join (select `e`.`user_id` as `person_key`, ROW_NUMBER() OVER (PARTITION BY `e`.`user_id` ORDER BY `e`.`event_time` DESC) as `trigger_rank` from `events` as `e` inner join `dim_item` as `i` on `i`.`item_id` = `e`.`item_id` where `e`.`event_name` = CAST(? AS BINARY) and `e`.`event_time` >= ? and `e`.`event_time` < ? and `i`.`category` = CAST(? AS BINARY) and `e`.`event_time` <= ? and not exists (select 1 from `server_events` as `b` where `b`.`uid` = `e`.`user_id` and `b`.`action` = CAST(? AS BINARY) and `b`.`ts` > `e`.`event_time` and `b`.`ts` <= DATE_ADD(`e`.`event_time`, INTERVAL ? SECOND) and `i`.`item_id` = `e`.`item_id`)) as `lt` on `lt`.`person_key` = `a`.`user_id` and `lt`.`trigger_rank` = 1',
    postgres:
      'select "a"."user_id" from "dim_user" as "a" inner join (select "e"."user_id" as "person_key", ROW_NUMBER() OVER (PARTITION BY "e"."user_id" ORDER BY "e"."event_time" DESC NULLS LAST) as "trigger_rank" from "events" as "e" inner join "dim_item" as "i" on "i"."item_id" = "e"."item_id" where "e"."event_name" = $1 and "e"."event_time" >= $2 and "e"."event_time" < $3 and "i"."category" = $4 and "e"."event_time" <= $5 and not exists (select 1 from "server_events" as "b" where "b"."uid" = "e"."user_id" and "b"."action" = $6 and "b"."ts" > "e"."event_time" and "b"."ts" <= ("e"."event_time" + CAST($7 AS integer) * INTERVAL \'1 second\') and "i"."item_id" = "e"."item_id")) as "lt" on "lt"."person_key" = "a"."user_id" and "lt"."trigger_rank" = 1',
    oracle:
      'select "A"."USER_ID" from "DIM_USER" "A" inner join (select "E"."USER_ID" "PERSON_KEY", ROW_NUMBER() OVER (PARTITION BY "E"."USER_ID" ORDER BY "E"."EVENT_TIME" DESC NULLS LAST) as "TRIGGER_RANK" from "EVENTS" "E" inner join "DIM_ITEM" "I" on "I"."ITEM_ID" = "E"."ITEM_ID" where "E"."EVENT_NAME" = :1 and "E"."EVENT_TIME" >= TO_DATE(:2, \'YYYY-MM-DD HH24:MI:SS\') and "E"."EVENT_TIME" < TO_DATE(:3, \'YYYY-MM-DD HH24:MI:SS\') and "I"."CATEGORY" = :4 and "E"."EVENT_TIME" <= TO_DATE(:5, \'YYYY-MM-DD HH24:MI:SS\') and not exists (select 1 from "SERVER_EVENTS" "B" where "B"."UID" = "E"."USER_ID" and "B"."ACTION" = :6 and "B"."TS" > "E"."EVENT_TIME" and "B"."TS" <= ("E"."EVENT_TIME" + NUMTODSINTERVAL(:7, \'SECOND\')) and "I"."ITEM_ID" = "E"."ITEM_ID")) "LT" on "LT"."PERSON_KEY" = "A"."USER_ID" and "LT"."TRIGGER_RANK" = 1',
    hive: "select `a`.`user_id` from `dim_user` as `a` inner join (select `e`.`user_id` as `person_key`, ROW_NUMBER() OVER (PARTITION BY `e`.`user_id` ORDER BY `e`.`event_time` DESC) as `trigger_rank` from `events` as `e` inner join `dim_item` as `i` on `i`.`item_id` = `e`.`item_id` where `e`.`event_name` = 'view_item' and `e`.`event_time` >= TIMESTAMP '2026-11-22 09:00:00' and `e`.`event_time` < TIMESTAMP '2026-11-23 09:00:00' and `i`.`category` = 'fridge' and `e`.`event_time` <= TIMESTAMP '2026-11-23 08:30:00' and not exists (select 1 from `server_events` as `b` where `b`.`uid` = `e`.`user_id` and `b`.`action` = 'pay_success' and `b`.`ts` > `e`.`event_time` and `b`.`ts` <= (`e`.`event_time` + INTERVAL '1800' SECOND) and `i`.`item_id` = `e`.`item_id`)) as `lt` on `lt`.`person_key` = `a`.`user_id` and `lt`.`trigger_rank` = 1",
    bindings: [
      'view_item',
      '2026-11-22 09:00:00',
      '2026-11-23 09:00:00',
      'fridge',
      '2026-11-23 08:30:00',
      'pay_success',
      1800,
    ],
  },
  {
    feature: 'steps: same_item, then a step from its own table, followed_within',
    trigger: `{ ${A}, followed_by: [ { event: add_cart, within: 30m, same_item: true }, { event: checkout, within: 1h, same_item: true }, { table: server_events, event: pay_success, within: 1h } ], followed_within: 2h }`,
    sqlite:
      "select `a`.`user_id` from `dim_user` as `a` inner join (select `e`.`user_id` as `person_key`, ROW_NUMBER() OVER (PARTITION BY `e`.`user_id` ORDER BY `e`.`event_time` DESC) as `trigger_rank` from `events` as `e` inner join `dim_item` as `i` on `i`.`item_id` = `e`.`item_id` where `e`.`event_name` = ? and `e`.`event_time` >= ? and `e`.`event_time` < ? and `i`.`category` = ? and exists (select 1 from `events` as `s1` where `s1`.`user_id` = `e`.`user_id` and `s1`.`event_name` = ? and `s1`.`event_time` > `e`.`event_time` and `s1`.`event_time` <= datetime(`e`.`event_time`, '+' || ? || ' seconds') and `i`.`item_id` = `e`.`item_id` and `s1`.`item_id` = `e`.`item_id` and `s1`.`event_time` < ? and exists (select 1 from `events` as `s2` where `s2`.`user_id` = `s1`.`user_id` and `s2`.`event_name` = ? and `s2`.`event_time` > `s1`.`event_time` and `s2`.`event_time` <= datetime(`s1`.`event_time`, '+' || ? || ' seconds') and `s2`.`item_id` = `s1`.`item_id` and `s2`.`event_time` < ? and exists (select 1 from `server_events` as `s3` where `s3`.`user_id` = `s2`.`user_id` and `s3`.`event_name` = ? and `s3`.`event_time` > `s2`.`event_time` and `s3`.`event_time` <= datetime(`s2`.`event_time`, '+' || ? || ' seconds') and `s3`.`event_time` <= datetime(`e`.`event_time`, '+' || ? || ' seconds') and `s3`.`event_time` < ?)))) as `lt` on `lt`.`person_key` = `a`.`user_id` and `lt`.`trigger_rank` = 1",
    mysql:
      'select `a`.`user_id` from `dim_user` as `a` inner join (select `e`.`user_id` as `person_key`, ROW_NUMBER() OVER (PARTITION BY `e`.`user_id` ORDER BY `e`.`event_time` DESC) as `trigger_rank` from `events` as `e` inner join `dim_item` as `i` on `i`.`item_id` = `e`.`item_id` where `e`.`event_name` = CAST(? AS BINARY) and `e`.`event_time` >= ? and `e`.`event_time` < ? and `i`.`category` = CAST(? AS BINARY) and exists (select 1 from `events` as `s1` where `s1`.`user_id` = `e`.`user_id` and `s1`.`event_name` = CAST(? AS BINARY) and `s1`.`event_time` > `e`.`event_time` and `s1`.`event_time` <= DATE_ADD(`e`.`event_time`, INTERVAL ? SECOND) and `i`.`item_id` = `e`.`item_id` and `s1`.`item_id` = `e`.`item_id` and `s1`.`event_time` < ? and exists (select 1 from `events` as `s2` where `s2`.`user_id` = `s1`.`user_id` and `s2`.`event_name` = CAST(? AS BINARY) and `s2`.`event_time` > `s1`.`event_time` and `s2`.`event_time` <= DATE_ADD(`s1`.`event_time`, INTERVAL ? SECOND) and `s2`.`item_id` = `s1`.`item_id` and `s2`.`event_time` < ? and exists (select 1 from `server_events` as `s3` where `s3`.`user_id` = `s2`.`user_id` and `s3`.`event_name` = CAST(? AS BINARY) and `s3`.`event_time` > `s2`.`event_time` and `s3`.`event_time` <= DATE_ADD(`s2`.`event_time`, INTERVAL ? SECOND) and `s3`.`event_time` <= DATE_ADD(`e`.`event_time`, INTERVAL ? SECOND) and `s3`.`event_time` < ?)))) as `lt` on `lt`.`person_key` = `a`.`user_id` and `lt`.`trigger_rank` = 1',
    postgres:
      'select "a"."user_id" from "dim_user" as "a" inner join (select "e"."user_id" as "person_key", ROW_NUMBER() OVER (PARTITION BY "e"."user_id" ORDER BY "e"."event_time" DESC NULLS LAST) as "trigger_rank" from "events" as "e" inner join "dim_item" as "i" on "i"."item_id" = "e"."item_id" where "e"."event_name" = $1 and "e"."event_time" >= $2 and "e"."event_time" < $3 and "i"."category" = $4 and exists (select 1 from "events" as "s1" where "s1"."user_id" = "e"."user_id" and "s1"."event_name" = $5 and "s1"."event_time" > "e"."event_time" and "s1"."event_time" <= ("e"."event_time" + CAST($6 AS integer) * INTERVAL \'1 second\') and "i"."item_id" = "e"."item_id" and "s1"."item_id" = "e"."item_id" and "s1"."event_time" < $7 and exists (select 1 from "events" as "s2" where "s2"."user_id" = "s1"."user_id" and "s2"."event_name" = $8 and "s2"."event_time" > "s1"."event_time" and "s2"."event_time" <= ("s1"."event_time" + CAST($9 AS integer) * INTERVAL \'1 second\') and "s2"."item_id" = "s1"."item_id" and "s2"."event_time" < $10 and exists (select 1 from "server_events" as "s3" where "s3"."user_id" = "s2"."user_id" and "s3"."event_name" = $11 and "s3"."event_time" > "s2"."event_time" and "s3"."event_time" <= ("s2"."event_time" + CAST($12 AS integer) * INTERVAL \'1 second\') and "s3"."event_time" <= ("e"."event_time" + CAST($13 AS integer) * INTERVAL \'1 second\') and "s3"."event_time" < $14)))) as "lt" on "lt"."person_key" = "a"."user_id" and "lt"."trigger_rank" = 1',
    oracle:
      'select "A"."USER_ID" from "DIM_USER" "A" inner join (select "E"."USER_ID" "PERSON_KEY", ROW_NUMBER() OVER (PARTITION BY "E"."USER_ID" ORDER BY "E"."EVENT_TIME" DESC NULLS LAST) as "TRIGGER_RANK" from "EVENTS" "E" inner join "DIM_ITEM" "I" on "I"."ITEM_ID" = "E"."ITEM_ID" where "E"."EVENT_NAME" = :1 and "E"."EVENT_TIME" >= TO_DATE(:2, \'YYYY-MM-DD HH24:MI:SS\') and "E"."EVENT_TIME" < TO_DATE(:3, \'YYYY-MM-DD HH24:MI:SS\') and "I"."CATEGORY" = :4 and exists (select 1 from "EVENTS" "S1" where "S1"."USER_ID" = "E"."USER_ID" and "S1"."EVENT_NAME" = :5 and "S1"."EVENT_TIME" > "E"."EVENT_TIME" and "S1"."EVENT_TIME" <= ("E"."EVENT_TIME" + NUMTODSINTERVAL(:6, \'SECOND\')) and "I"."ITEM_ID" = "E"."ITEM_ID" and "S1"."ITEM_ID" = "E"."ITEM_ID" and "S1"."EVENT_TIME" < TO_DATE(:7, \'YYYY-MM-DD HH24:MI:SS\') and exists (select 1 from "EVENTS" "S2" where "S2"."USER_ID" = "S1"."USER_ID" and "S2"."EVENT_NAME" = :8 and "S2"."EVENT_TIME" > "S1"."EVENT_TIME" and "S2"."EVENT_TIME" <= ("S1"."EVENT_TIME" + NUMTODSINTERVAL(:9, \'SECOND\')) and "S2"."ITEM_ID" = "S1"."ITEM_ID" and "S2"."EVENT_TIME" < TO_DATE(:10, \'YYYY-MM-DD HH24:MI:SS\') and exists (select 1 from "SERVER_EVENTS" "S3" where "S3"."USER_ID" = "S2"."USER_ID" and "S3"."EVENT_NAME" = :11 and "S3"."EVENT_TIME" > "S2"."EVENT_TIME" and "S3"."EVENT_TIME" <= ("S2"."EVENT_TIME" + NUMTODSINTERVAL(:12, \'SECOND\')) and "S3"."EVENT_TIME" <= ("E"."EVENT_TIME" + NUMTODSINTERVAL(:13, \'SECOND\')) and "S3"."EVENT_TIME" < TO_DATE(:14, \'YYYY-MM-DD HH24:MI:SS\'))))) "LT" on "LT"."PERSON_KEY" = "A"."USER_ID" and "LT"."TRIGGER_RANK" = 1',
    hive: 'ERROR: /work/wt/follow-up/job.yaml: trigger: followed_within with two or more followed_by steps is not supported on Hive: it compares with A from a nested subquery, and Hive subqueries see only their parent query',
    bindings: [
      'view_item',
      '2026-11-22 09:00:00',
      '2026-11-23 09:00:00',
      'fridge',
      'add_cart',
      1800,
      '2026-11-23 09:00:00',
      'checkout',
      3600,
      '2026-11-23 09:00:00',
      'pay_success',
      3600,
      7200,
      '2026-11-23 09:00:00',
    ],
  },
  {
    feature: 'one step with followed_within (Hive too: it correlates with A, its parent)',
    trigger: `{ ${A}, followed_by: [ { event: add_cart, within: 30m } ], followed_within: 20m }`,
    sqlite:
      "select `a`.`user_id` from `dim_user` as `a` inner join (select `e`.`user_id` as `person_key`, ROW_NUMBER() OVER (PARTITION BY `e`.`user_id` ORDER BY `e`.`event_time` DESC) as `trigger_rank` from `events` as `e` inner join `dim_item` as `i` on `i`.`item_id` = `e`.`item_id` where `e`.`event_name` = ? and `e`.`event_time` >= ? and `e`.`event_time` < ? and `i`.`category` = ? and exists (select 1 from `events` as `s1` where `s1`.`user_id` = `e`.`user_id` and `s1`.`event_name` = ? and `s1`.`event_time` > `e`.`event_time` and `s1`.`event_time` <= datetime(`e`.`event_time`, '+' || ? || ' seconds') and `i`.`item_id` = `e`.`item_id` and `s1`.`event_time` <= datetime(`e`.`event_time`, '+' || ? || ' seconds') and `s1`.`event_time` < ?)) as `lt` on `lt`.`person_key` = `a`.`user_id` and `lt`.`trigger_rank` = 1",
    mysql:
      'select `a`.`user_id` from `dim_user` as `a` inner join (select `e`.`user_id` as `person_key`, ROW_NUMBER() OVER (PARTITION BY `e`.`user_id` ORDER BY `e`.`event_time` DESC) as `trigger_rank` from `events` as `e` inner join `dim_item` as `i` on `i`.`item_id` = `e`.`item_id` where `e`.`event_name` = CAST(? AS BINARY) and `e`.`event_time` >= ? and `e`.`event_time` < ? and `i`.`category` = CAST(? AS BINARY) and exists (select 1 from `events` as `s1` where `s1`.`user_id` = `e`.`user_id` and `s1`.`event_name` = CAST(? AS BINARY) and `s1`.`event_time` > `e`.`event_time` and `s1`.`event_time` <= DATE_ADD(`e`.`event_time`, INTERVAL ? SECOND) and `i`.`item_id` = `e`.`item_id` and `s1`.`event_time` <= DATE_ADD(`e`.`event_time`, INTERVAL ? SECOND) and `s1`.`event_time` < ?)) as `lt` on `lt`.`person_key` = `a`.`user_id` and `lt`.`trigger_rank` = 1',
    postgres:
      'select "a"."user_id" from "dim_user" as "a" inner join (select "e"."user_id" as "person_key", ROW_NUMBER() OVER (PARTITION BY "e"."user_id" ORDER BY "e"."event_time" DESC NULLS LAST) as "trigger_rank" from "events" as "e" inner join "dim_item" as "i" on "i"."item_id" = "e"."item_id" where "e"."event_name" = $1 and "e"."event_time" >= $2 and "e"."event_time" < $3 and "i"."category" = $4 and exists (select 1 from "events" as "s1" where "s1"."user_id" = "e"."user_id" and "s1"."event_name" = $5 and "s1"."event_time" > "e"."event_time" and "s1"."event_time" <= ("e"."event_time" + CAST($6 AS integer) * INTERVAL \'1 second\') and "i"."item_id" = "e"."item_id" and "s1"."event_time" <= ("e"."event_time" + CAST($7 AS integer) * INTERVAL \'1 second\') and "s1"."event_time" < $8)) as "lt" on "lt"."person_key" = "a"."user_id" and "lt"."trigger_rank" = 1',
    oracle:
      'select "A"."USER_ID" from "DIM_USER" "A" inner join (select "E"."USER_ID" "PERSON_KEY", ROW_NUMBER() OVER (PARTITION BY "E"."USER_ID" ORDER BY "E"."EVENT_TIME" DESC NULLS LAST) as "TRIGGER_RANK" from "EVENTS" "E" inner join "DIM_ITEM" "I" on "I"."ITEM_ID" = "E"."ITEM_ID" where "E"."EVENT_NAME" = :1 and "E"."EVENT_TIME" >= TO_DATE(:2, \'YYYY-MM-DD HH24:MI:SS\') and "E"."EVENT_TIME" < TO_DATE(:3, \'YYYY-MM-DD HH24:MI:SS\') and "I"."CATEGORY" = :4 and exists (select 1 from "EVENTS" "S1" where "S1"."USER_ID" = "E"."USER_ID" and "S1"."EVENT_NAME" = :5 and "S1"."EVENT_TIME" > "E"."EVENT_TIME" and "S1"."EVENT_TIME" <= ("E"."EVENT_TIME" + NUMTODSINTERVAL(:6, \'SECOND\')) and "I"."ITEM_ID" = "E"."ITEM_ID" and "S1"."EVENT_TIME" <= ("E"."EVENT_TIME" + NUMTODSINTERVAL(:7, \'SECOND\')) and "S1"."EVENT_TIME" < TO_DATE(:8, \'YYYY-MM-DD HH24:MI:SS\'))) "LT" on "LT"."PERSON_KEY" = "A"."USER_ID" and "LT"."TRIGGER_RANK" = 1',
    hive: "select `a`.`user_id` from `dim_user` as `a` inner join (select `e`.`user_id` as `person_key`, ROW_NUMBER() OVER (PARTITION BY `e`.`user_id` ORDER BY `e`.`event_time` DESC) as `trigger_rank` from `events` as `e` inner join `dim_item` as `i` on `i`.`item_id` = `e`.`item_id` where `e`.`event_name` = 'view_item' and `e`.`event_time` >= TIMESTAMP '2026-11-22 09:00:00' and `e`.`event_time` < TIMESTAMP '2026-11-23 09:00:00' and `i`.`category` = 'fridge' and exists (select 1 from `events` as `s1` where `s1`.`user_id` = `e`.`user_id` and `s1`.`event_name` = 'add_cart' and `s1`.`event_time` > `e`.`event_time` and `s1`.`event_time` <= (`e`.`event_time` + INTERVAL '1800' SECOND) and `i`.`item_id` = `e`.`item_id` and `s1`.`event_time` <= (`e`.`event_time` + INTERVAL '1200' SECOND) and `s1`.`event_time` < TIMESTAMP '2026-11-23 09:00:00')) as `lt` on `lt`.`person_key` = `a`.`user_id` and `lt`.`trigger_rank` = 1",
    bindings: [
      'view_item',
      '2026-11-22 09:00:00',
      '2026-11-23 09:00:00',
      'fridge',
      'add_cart',
      1800,
      1200,
      '2026-11-23 09:00:00',
    ],
  },
];

describe.each(DIALECTS)('item-aware sequence SQL on %s', (dialect) => {
  it.each(cases)('$feature', (c) => {
    const query = renderQuery(plan(c.trigger, dialect));
    expect(query.sql).toBe(c[dialect]);
    expect(query.bindings).toEqual(c.bindings);
  });
});

describe('item-aware sequence HiveQL', () => {
  it.each(cases.filter((c) => !c.hive.startsWith('ERROR')))('$feature', (c) => {
    const query = renderHiveQuery(plan(c.trigger, 'hive'));
    expect(query.sql).toBe(c.hive);
    expect(hiveSyntaxErrors(query.sql)).toEqual([]);
  });

  it('refuses what would need a grandparent reference, naming the rule (exit 2, not a Hive error later)', () => {
    const refused = (trigger: string) => () => renderHiveQuery(plan(trigger, 'hive'));
    expect(refused(cases[2].trigger)).toThrow(SpecError);
    expect(refused(cases[2].trigger)).toThrow(
      /followed_within with two or more followed_by steps is not supported on Hive/,
    );
    expect(
      refused(
        `{ ${A}, followed_by: [ { event: add_cart, within: 30m }, { event: checkout, within: 1h, same_item: true } ] }`,
      ),
    ).toThrow(/same_item on a step after a step without same_item is not supported on Hive/);
  });
});

describe('trigger.item.X fields', () => {
  it('selects the item row of the chosen A and breaks ties on time by their text (as for trigger.X)', () => {
    const query = renderQuery(
      plan(`{ ${A} }`, 'postgres', '[user_id, trigger.event_time, trigger.item.category, trigger.item.price]'),
    );
    expect(query.sql).toBe(
      'select "a"."user_id", "lt"."tf_event_time", "lt"."ti_category", "lt"."ti_price" from "dim_user" as "a" inner join (select "e"."user_id" as "person_key", "e"."event_time" as "tf_event_time", "i"."category" as "ti_category", "i"."price" as "ti_price", ROW_NUMBER() OVER (PARTITION BY "e"."user_id" ORDER BY "e"."event_time" DESC NULLS LAST, CAST("i"."category" AS text) COLLATE "C" DESC NULLS LAST, CAST("i"."price" AS text) COLLATE "C" DESC NULLS LAST) as "trigger_rank" from "events" as "e" inner join "dim_item" as "i" on "i"."item_id" = "e"."item_id" where "e"."event_name" = $1 and "e"."event_time" >= $2 and "e"."event_time" < $3 and "i"."category" = $4) as "lt" on "lt"."person_key" = "a"."user_id" and "lt"."trigger_rank" = 1',
    );
  });
});

describe('item-aware sequences in the job spec', () => {
  const messages = (trigger: string, fields = '[user_id]') => {
    try {
      plan(trigger, 'mysql', fields);
    } catch (err) {
      if (err instanceof SpecError) return err.issues.map((i) => `${i.key}: ${i.message}`);
      throw err;
    }
    throw new Error('expected the job to be rejected');
  };
  const PLAIN = 'table: events, event: view_item, within: 24h';

  it('needs an item table for trigger.item.X, for B item conditions and for same_item', () => {
    expect(messages(`{ ${PLAIN} }`, '[user_id, trigger.item.price]')).toEqual([
      'lead.fields[1]: trigger.item.price needs trigger.item (the item table to read)',
    ]);
    expect(
      messages(
        `{ ${PLAIN}, not_followed_by: { event: pay_order, within: 30m, item: { where: { category: fridge } } } }`,
      ),
    ).toEqual(['trigger.not_followed_by.item: item needs table: (and key:), or a trigger.item whose table it uses']);
    expect(messages(`{ ${PLAIN}, followed_by: [ { event: add_cart, within: 30m, same_item: true } ] }`)).toEqual([
      "trigger.followed_by[0].same_item: same_item needs trigger.item: it names the events' item column",
    ]);
  });

  it('needs followed_by for followed_within', () => {
    expect(messages(`{ ${PLAIN}, followed_within: 2h }`)).toEqual([
      'trigger.followed_within: followed_within needs followed_by steps',
    ]);
  });
});
