// The table of expected SQL per dialect for every offline spec feature (issue 2), compiled
// without connecting: YAML text -> loadJob -> planJob -> renderQuery. The strings are the
// exact statements `run` sends; every value must be a binding, never SQL text.
import { describe, expect, it } from 'vitest';
import { planJob } from '../../src/plan/plan.ts';
import { resolveRunTime } from '../../src/plan/time.ts';
import { renderQuery } from '../../src/sql/render-query.ts';
import type { Connections } from '../../src/config/load-connections.ts';
import { loadJob } from '../../src/config/load-job.ts';

// lead.order_by: text in code-point order on every engine (orderTerms in src/sql/exact-text.ts).
const MYSQL_ORDER = (c: string, dir: string) =>
  `\`a\`.\`${c}\` IS NULL, CASE WHEN COLLATION(\`a\`.\`${c}\`) <> 'binary' THEN CAST(\`a\`.\`${c}\` AS BINARY) END ${dir}, \`a\`.\`${c}\` ${dir}`;
const POSTGRES_ORDER = (c: string, dir: string) =>
  `CASE WHEN pg_typeof("a"."${c}") IN ('text'::regtype, 'character varying'::regtype, 'character'::regtype) THEN CAST("a"."${c}" AS text) COLLATE "C" END ${dir} NULLS LAST, "a"."${c}" ${dir} NULLS LAST`;

type KnexDialect = 'sqlite' | 'mysql' | 'postgres' | 'oracle';
const KNEX_DIALECTS: KnexDialect[] = ['sqlite', 'mysql', 'postgres', 'oracle'];

// 09:00 in Shanghai; the 30-day window is [2026-10-24 09:00:00, 2026-11-23 09:00:00).
const AT = resolveRunTime('2026-11-23T09:00:00', 'Asia/Shanghai');

// Connections as loadJob sees them: nothing is opened (the SQLite path does not exist).
const CONNECTIONS: Connections = {
  file: '/virtual/connections.yaml',
  byName: new Map([
    ['wh', { type: 'sqlite', path: '/virtual/warehouse.db' }],
    ['crm', { type: 'postgres', host: '127.0.0.1', database: 'crm' }],
  ]),
};

interface JobParts {
  table?: string;
  /** One line of YAML under audience (flow style), e.g. "where: { gender: M }". */
  audience?: string;
  /** One line of YAML under exclude. */
  exclude?: string;
  fields?: string;
  /** One line of YAML under lead. */
  lead?: string;
}

function jobText(parts: JobParts): string {
  return [
    'name: sql-case',
    'source: wh',
    'timezone: Asia/Shanghai',
    'audience:',
    `  table: ${parts.table ?? 'dim_user'}`,
    parts.audience ? `  ${parts.audience}` : '',
    parts.exclude ? `exclude:\n  ${parts.exclude}` : '',
    'lead:',
    `  fields: ${parts.fields ?? '[user_id, phone]'}`,
    parts.lead ? `  ${parts.lead}` : '',
  ].join('\n');
}

function compile(text: string, dialect: KnexDialect) {
  const job = loadJob('/virtual/sql-case.yaml', CONNECTIONS, {}, text);
  const plan = planJob(job, AT, dialect);
  return { plan, query: renderQuery(plan) };
}

// The select list every case shares: the person key (a lead field too, so selected once), then
// the other lead fields.
const SELECT: Record<KnexDialect, string> = {
  sqlite: 'select `a`.`user_id`, `a`.`phone` from `dim_user` as `a`',
  mysql: 'select `a`.`user_id`, `a`.`phone` from `dim_user` as `a`',
  postgres: 'select "a"."user_id", "a"."phone" from "dim_user" as "a"',
  oracle: 'select "A"."USER_ID", "A"."PHONE" from "DIM_USER" "A"',
};

interface SqlCase {
  feature: string;
  job: JobParts;
  sql: Record<KnexDialect, string>;
  bindings: unknown[];
  /** oracledb has no boolean binds before 23c: knex sends 1/0. */
  oracleBindings?: unknown[];
  /** Where a dialect binds other values (LIKE: SQLite's GLOB pattern, MySQL's pattern twice). */
  dialectBindings?: Partial<Record<KnexDialect, unknown[]>>;
  /** Whether LIMIT is in the SQL (nothing downstream can drop a row). */
  pushLimit?: boolean;
  /** Which lead field the person key is selected as: 0 (the first field) unless given; undefined: on its own, first. */
  keyAt?: number;
}

const CASES: SqlCase[] = [
  // --- where: a scalar, a list, and every operator ---------------------------------------
  {
    feature: 'where scalar means =',
    job: { audience: 'where: { gender: M }' },
    sql: {
      sqlite: SELECT.sqlite + ' where `a`.`gender` = ?',
      mysql: SELECT.mysql + ' where `a`.`gender` = CAST(? AS BINARY)',
      postgres: SELECT.postgres + ' where "a"."gender" = $1',
      oracle: SELECT.oracle + ' where "A"."GENDER" = :1',
    },
    bindings: ['M'],
  },
  {
    feature: 'where eq',
    job: { audience: 'where: { gender: { eq: M } }' },
    sql: {
      sqlite: SELECT.sqlite + ' where `a`.`gender` = ?',
      mysql: SELECT.mysql + ' where `a`.`gender` = CAST(? AS BINARY)',
      postgres: SELECT.postgres + ' where "a"."gender" = $1',
      oracle: SELECT.oracle + ' where "A"."GENDER" = :1',
    },
    bindings: ['M'],
  },
  {
    feature: 'where ne',
    job: { audience: 'where: { gender: { ne: F } }' },
    sql: {
      sqlite: SELECT.sqlite + ' where `a`.`gender` <> ?',
      mysql: SELECT.mysql + ' where `a`.`gender` <> CAST(? AS BINARY)',
      postgres: SELECT.postgres + ' where "a"."gender" <> $1',
      oracle: SELECT.oracle + ' where "A"."GENDER" <> :1',
    },
    bindings: ['F'],
  },
  {
    feature: 'where list means IN',
    job: { audience: 'where: { city: [北京, 上海] }' },
    sql: {
      sqlite: SELECT.sqlite + ' where `a`.`city` in (?, ?)',
      mysql: SELECT.mysql + ' where `a`.`city` in (CAST(? AS BINARY), CAST(? AS BINARY))',
      postgres: SELECT.postgres + ' where "a"."city" in ($1, $2)',
      oracle: SELECT.oracle + ' where "A"."CITY" in (:1, :2)',
    },
    bindings: ['北京', '上海'],
  },
  {
    feature: 'where in',
    job: { audience: 'where: { city: { in: [北京, 上海] } }' },
    sql: {
      sqlite: SELECT.sqlite + ' where `a`.`city` in (?, ?)',
      mysql: SELECT.mysql + ' where `a`.`city` in (CAST(? AS BINARY), CAST(? AS BINARY))',
      postgres: SELECT.postgres + ' where "a"."city" in ($1, $2)',
      oracle: SELECT.oracle + ' where "A"."CITY" in (:1, :2)',
    },
    bindings: ['北京', '上海'],
  },
  {
    feature: 'where not_in',
    job: { audience: 'where: { city: { not_in: [广州, 成都] } }' },
    sql: {
      sqlite: SELECT.sqlite + ' where `a`.`city` not in (?, ?)',
      mysql: SELECT.mysql + ' where `a`.`city` not in (CAST(? AS BINARY), CAST(? AS BINARY))',
      postgres: SELECT.postgres + ' where "a"."city" not in ($1, $2)',
      oracle: SELECT.oracle + ' where "A"."CITY" not in (:1, :2)',
    },
    bindings: ['广州', '成都'],
  },
  {
    feature: 'where gt',
    job: { audience: 'where: { age: { gt: 18 } }' },
    sql: {
      sqlite: SELECT.sqlite + ' where `a`.`age` > ?',
      mysql: SELECT.mysql + ' where `a`.`age` > ?',
      postgres: SELECT.postgres + ' where "a"."age" > $1',
      oracle: SELECT.oracle + ' where "A"."AGE" > :1',
    },
    bindings: [18],
  },
  {
    feature: 'where gte',
    job: { audience: 'where: { age: { gte: 18 } }' },
    sql: {
      sqlite: SELECT.sqlite + ' where `a`.`age` >= ?',
      mysql: SELECT.mysql + ' where `a`.`age` >= ?',
      postgres: SELECT.postgres + ' where "a"."age" >= $1',
      oracle: SELECT.oracle + ' where "A"."AGE" >= :1',
    },
    bindings: [18],
  },
  {
    feature: 'where lt',
    job: { audience: 'where: { age: { lt: 60 } }' },
    sql: {
      sqlite: SELECT.sqlite + ' where `a`.`age` < ?',
      mysql: SELECT.mysql + ' where `a`.`age` < ?',
      postgres: SELECT.postgres + ' where "a"."age" < $1',
      oracle: SELECT.oracle + ' where "A"."AGE" < :1',
    },
    bindings: [60],
  },
  {
    feature: 'where lte',
    job: { audience: 'where: { age: { lte: 60 } }' },
    sql: {
      sqlite: SELECT.sqlite + ' where `a`.`age` <= ?',
      mysql: SELECT.mysql + ' where `a`.`age` <= ?',
      postgres: SELECT.postgres + ' where "a"."age" <= $1',
      oracle: SELECT.oracle + ' where "A"."AGE" <= :1',
    },
    bindings: [60],
  },
  {
    feature: 'where between (inclusive)',
    job: { audience: 'where: { age: { between: [25, 45] } }' },
    sql: {
      sqlite: SELECT.sqlite + ' where `a`.`age` between ? and ?',
      mysql: SELECT.mysql + ' where `a`.`age` between ? and ?',
      postgres: SELECT.postgres + ' where "a"."age" between $1 and $2',
      oracle: SELECT.oracle + ' where "A"."AGE" between :1 and :2',
    },
    bindings: [25, 45],
  },
  {
    feature: 'where like',
    job: { audience: 'where: { name: { like: "张%" } }' },
    sql: {
      sqlite: SELECT.sqlite + ' where `a`.`name` GLOB ?',
      mysql: SELECT.mysql + ' where (`a`.`name` like ? and `a`.`name` like ? COLLATE utf8mb4_bin)',
      postgres: SELECT.postgres + ' where "a"."name" like $1',
      oracle: SELECT.oracle + ' where "A"."NAME" like :1 ESCAPE \'\\\'',
    },
    bindings: ['张%'],
    dialectBindings: { sqlite: ['张*'], mysql: ['张%', '张%'] },
  },
  {
    feature: 'where is_null: true',
    job: { audience: 'where: { email: { is_null: true } }' },
    sql: {
      sqlite: SELECT.sqlite + ' where `a`.`email` is null',
      mysql: SELECT.mysql + ' where `a`.`email` is null',
      postgres: SELECT.postgres + ' where "a"."email" is null',
      oracle: SELECT.oracle + ' where "A"."EMAIL" is null',
    },
    bindings: [],
  },
  {
    feature: 'where is_null: false',
    job: { audience: 'where: { email: { is_null: false } }' },
    sql: {
      sqlite: SELECT.sqlite + ' where `a`.`email` is not null',
      mysql: SELECT.mysql + ' where `a`.`email` is not null',
      postgres: SELECT.postgres + ' where "a"."email" is not null',
      oracle: SELECT.oracle + ' where "A"."EMAIL" is not null',
    },
    bindings: [],
  },
  {
    feature: 'where null scalar means IS NULL',
    job: { audience: 'where: { email: null }' },
    sql: {
      sqlite: SELECT.sqlite + ' where `a`.`email` is null',
      mysql: SELECT.mysql + ' where `a`.`email` is null',
      postgres: SELECT.postgres + ' where "a"."email" is null',
      oracle: SELECT.oracle + ' where "A"."EMAIL" is null',
    },
    bindings: [],
  },
  {
    feature: 'several operators in one map and several columns are AND-ed',
    job: { audience: 'where: { income: { gte: 5000, lt: 20000 }, vip: true }' },
    sql: {
      sqlite: SELECT.sqlite + ' where `a`.`income` >= ? and `a`.`income` < ? and `a`.`vip` = ?',
      mysql: SELECT.mysql + ' where `a`.`income` >= ? and `a`.`income` < ? and `a`.`vip` = ?',
      postgres: SELECT.postgres + ' where "a"."income" >= $1 and "a"."income" < $2 and "a"."vip" = $3',
      oracle: SELECT.oracle + ' where "A"."INCOME" >= :1 and "A"."INCOME" < :2 and "A"."VIP" = :3',
    },
    bindings: [5000, 20000, true],
    oracleBindings: [5000, 20000, 1],
  },
  {
    feature: 'values that look like SQL stay bindings',
    job: { audience: `where: { name: "x' or '1'='1", city: { like: "%; drop table dim_user; --" } }` },
    sql: {
      sqlite: SELECT.sqlite + ' where `a`.`name` = ? and `a`.`city` GLOB ?',
      mysql:
        SELECT.mysql +
        ' where `a`.`name` = CAST(? AS BINARY) and (`a`.`city` like ? and `a`.`city` like ? COLLATE utf8mb4_bin)',
      postgres: SELECT.postgres + ' where "a"."name" = $1 and "a"."city" like $2',
      oracle: SELECT.oracle + ' where "A"."NAME" = :1 and "A"."CITY" like :2 ESCAPE \'\\\'',
    },
    bindings: ["x' or '1'='1", '%; drop table dim_user; --'],
    dialectBindings: {
      // LIKE's _ is one character: GLOB's ?.
      sqlite: ["x' or '1'='1", '*; drop table dim?user; --'],
      mysql: ["x' or '1'='1", '%; drop table dim_user; --', '%; drop table dim_user; --'],
    },
  },
  // --- segments ------------------------------------------------------------------------
  {
    feature: 'segments, column form (a dimension is a column of audience.table)',
    job: { audience: 'segments: { value_tier: [high, top] }' },
    sql: {
      sqlite: SELECT.sqlite + ' where `a`.`value_tier` in (?, ?)',
      mysql: SELECT.mysql + ' where `a`.`value_tier` in (CAST(? AS BINARY), CAST(? AS BINARY))',
      postgres: SELECT.postgres + ' where "a"."value_tier" in ($1, $2)',
      oracle: SELECT.oracle + ' where "A"."VALUE_TIER" in (:1, :2)',
    },
    bindings: ['high', 'top'],
  },
  {
    feature: 'segments, long-table form: one EXISTS per dimension',
    job: { audience: 'segments: { table: user_segment, value_tier: [high, top], life_stage: parent }' },
    sql: {
      sqlite:
        SELECT.sqlite +
        ' where exists (select 1 from `user_segment` as `s` where `s`.`user_id` = `a`.`user_id` and `s`.`dimension` = ? and `s`.`segment` in (?, ?)) and exists (select 1 from `user_segment` as `s` where `s`.`user_id` = `a`.`user_id` and `s`.`dimension` = ? and `s`.`segment` in (?))',
      mysql:
        SELECT.mysql +
        ' where exists (select 1 from `user_segment` as `s` where `s`.`user_id` = `a`.`user_id` and `s`.`dimension` = CAST(? AS BINARY) and `s`.`segment` in (CAST(? AS BINARY), CAST(? AS BINARY))) and exists (select 1 from `user_segment` as `s` where `s`.`user_id` = `a`.`user_id` and `s`.`dimension` = CAST(? AS BINARY) and `s`.`segment` in (CAST(? AS BINARY)))',
      postgres:
        SELECT.postgres +
        ' where exists (select 1 from "user_segment" as "s" where "s"."user_id" = "a"."user_id" and "s"."dimension" = $1 and "s"."segment" in ($2, $3)) and exists (select 1 from "user_segment" as "s" where "s"."user_id" = "a"."user_id" and "s"."dimension" = $4 and "s"."segment" in ($5))',
      oracle:
        SELECT.oracle +
        ' where exists (select 1 from "USER_SEGMENT" "S" where "S"."USER_ID" = "A"."USER_ID" and "S"."DIMENSION" = :1 and "S"."SEGMENT" in (:2, :3)) and exists (select 1 from "USER_SEGMENT" "S" where "S"."USER_ID" = "A"."USER_ID" and "S"."DIMENSION" = :4 and "S"."SEGMENT" in (:5))',
    },
    bindings: ['value_tier', 'high', 'top', 'life_stage', 'parent'],
  },
  {
    feature: 'segments, long table qualified with its own key column',
    job: { audience: 'segments: { table: dw.user_segment, key: uid, value_tier: high }' },
    sql: {
      sqlite:
        SELECT.sqlite +
        ' where exists (select 1 from `dw`.`user_segment` as `s` where `s`.`uid` = `a`.`user_id` and `s`.`dimension` = ? and `s`.`segment` in (?))',
      mysql:
        SELECT.mysql +
        ' where exists (select 1 from `dw`.`user_segment` as `s` where `s`.`uid` = `a`.`user_id` and `s`.`dimension` = CAST(? AS BINARY) and `s`.`segment` in (CAST(? AS BINARY)))',
      postgres:
        SELECT.postgres +
        ' where exists (select 1 from "dw"."user_segment" as "s" where "s"."uid" = "a"."user_id" and "s"."dimension" = $1 and "s"."segment" in ($2))',
      oracle:
        SELECT.oracle +
        ' where exists (select 1 from "DW"."USER_SEGMENT" "S" where "S"."UID" = "A"."USER_ID" and "S"."DIMENSION" = :1 and "S"."SEGMENT" in (:2))',
    },
    bindings: ['value_tier', 'high'],
  },
  // --- tags ----------------------------------------------------------------------------
  {
    feature: 'tags all: one EXISTS per tag',
    job: { audience: 'tags: { table: user_tag, all: [购买力强, 已婚] }' },
    sql: {
      sqlite:
        SELECT.sqlite +
        ' where exists (select 1 from `user_tag` as `t` where `t`.`user_id` = `a`.`user_id` and `t`.`tag` in (?)) and exists (select 1 from `user_tag` as `t` where `t`.`user_id` = `a`.`user_id` and `t`.`tag` in (?))',
      mysql:
        SELECT.mysql +
        ' where exists (select 1 from `user_tag` as `t` where `t`.`user_id` = `a`.`user_id` and `t`.`tag` in (CAST(? AS BINARY))) and exists (select 1 from `user_tag` as `t` where `t`.`user_id` = `a`.`user_id` and `t`.`tag` in (CAST(? AS BINARY)))',
      postgres:
        SELECT.postgres +
        ' where exists (select 1 from "user_tag" as "t" where "t"."user_id" = "a"."user_id" and "t"."tag" in ($1)) and exists (select 1 from "user_tag" as "t" where "t"."user_id" = "a"."user_id" and "t"."tag" in ($2))',
      oracle:
        SELECT.oracle +
        ' where exists (select 1 from "USER_TAG" "T" where "T"."USER_ID" = "A"."USER_ID" and "T"."TAG" in (:1)) and exists (select 1 from "USER_TAG" "T" where "T"."USER_ID" = "A"."USER_ID" and "T"."TAG" in (:2))',
    },
    bindings: ['购买力强', '已婚'],
  },
  {
    feature: 'tags any: one EXISTS with IN',
    job: { audience: 'tags: { table: user_tag, any: [偏好家电, 偏好厨电] }' },
    sql: {
      sqlite:
        SELECT.sqlite +
        ' where exists (select 1 from `user_tag` as `t` where `t`.`user_id` = `a`.`user_id` and `t`.`tag` in (?, ?))',
      mysql:
        SELECT.mysql +
        ' where exists (select 1 from `user_tag` as `t` where `t`.`user_id` = `a`.`user_id` and `t`.`tag` in (CAST(? AS BINARY), CAST(? AS BINARY)))',
      postgres:
        SELECT.postgres +
        ' where exists (select 1 from "user_tag" as "t" where "t"."user_id" = "a"."user_id" and "t"."tag" in ($1, $2))',
      oracle:
        SELECT.oracle +
        ' where exists (select 1 from "USER_TAG" "T" where "T"."USER_ID" = "A"."USER_ID" and "T"."TAG" in (:1, :2))',
    },
    bindings: ['偏好家电', '偏好厨电'],
  },
  {
    feature: 'tags none: NOT EXISTS',
    job: { audience: 'tags: { table: user_tag, none: [投诉用户] }' },
    sql: {
      sqlite:
        SELECT.sqlite +
        ' where not exists (select 1 from `user_tag` as `t` where `t`.`user_id` = `a`.`user_id` and `t`.`tag` in (?))',
      mysql:
        SELECT.mysql +
        ' where not exists (select 1 from `user_tag` as `t` where `t`.`user_id` = `a`.`user_id` and `t`.`tag` in (CAST(? AS BINARY)))',
      postgres:
        SELECT.postgres +
        ' where not exists (select 1 from "user_tag" as "t" where "t"."user_id" = "a"."user_id" and "t"."tag" in ($1))',
      oracle:
        SELECT.oracle +
        ' where not exists (select 1 from "USER_TAG" "T" where "T"."USER_ID" = "A"."USER_ID" and "T"."TAG" in (:1))',
    },
    bindings: ['投诉用户'],
  },
  {
    feature: 'tags with key and column options, qualified table',
    job: { audience: 'tags: { table: crm.user_label, key: uid, column: label, all: [a], any: [b], none: [c] }' },
    sql: {
      sqlite:
        SELECT.sqlite +
        ' where exists (select 1 from `crm`.`user_label` as `t` where `t`.`uid` = `a`.`user_id` and `t`.`label` in (?)) and exists (select 1 from `crm`.`user_label` as `t` where `t`.`uid` = `a`.`user_id` and `t`.`label` in (?)) and not exists (select 1 from `crm`.`user_label` as `t` where `t`.`uid` = `a`.`user_id` and `t`.`label` in (?))',
      mysql:
        SELECT.mysql +
        ' where exists (select 1 from `crm`.`user_label` as `t` where `t`.`uid` = `a`.`user_id` and `t`.`label` in (CAST(? AS BINARY))) and exists (select 1 from `crm`.`user_label` as `t` where `t`.`uid` = `a`.`user_id` and `t`.`label` in (CAST(? AS BINARY))) and not exists (select 1 from `crm`.`user_label` as `t` where `t`.`uid` = `a`.`user_id` and `t`.`label` in (CAST(? AS BINARY)))',
      postgres:
        SELECT.postgres +
        ' where exists (select 1 from "crm"."user_label" as "t" where "t"."uid" = "a"."user_id" and "t"."label" in ($1)) and exists (select 1 from "crm"."user_label" as "t" where "t"."uid" = "a"."user_id" and "t"."label" in ($2)) and not exists (select 1 from "crm"."user_label" as "t" where "t"."uid" = "a"."user_id" and "t"."label" in ($3))',
      oracle:
        SELECT.oracle +
        ' where exists (select 1 from "CRM"."USER_LABEL" "T" where "T"."UID" = "A"."USER_ID" and "T"."LABEL" in (:1)) and exists (select 1 from "CRM"."USER_LABEL" "T" where "T"."UID" = "A"."USER_ID" and "T"."LABEL" in (:2)) and not exists (select 1 from "CRM"."USER_LABEL" "T" where "T"."UID" = "A"."USER_ID" and "T"."LABEL" in (:3))',
    },
    bindings: ['a', 'b', 'c'],
  },
  // --- exclude.converted ---------------------------------------------------------------
  {
    feature: 'converted on the same connection: NOT EXISTS over [at - 30d, at)',
    job: { exclude: 'converted: { table: orders, time: paid_at, within: 30d, where: { category: fridge } }' },
    sql: {
      sqlite:
        SELECT.sqlite +
        ' where not exists (select 1 from `orders` as `c` where `c`.`user_id` = `a`.`user_id` and `c`.`paid_at` >= ? and `c`.`paid_at` < ? and `c`.`category` = ?)',
      mysql:
        SELECT.mysql +
        ' where not exists (select 1 from `orders` as `c` where `c`.`user_id` = `a`.`user_id` and `c`.`paid_at` >= ? and `c`.`paid_at` < ? and `c`.`category` = CAST(? AS BINARY))',
      postgres:
        SELECT.postgres +
        ' where not exists (select 1 from "orders" as "c" where "c"."user_id" = "a"."user_id" and "c"."paid_at" >= $1 and "c"."paid_at" < $2 and "c"."category" = $3)',
      oracle:
        SELECT.oracle +
        ' where not exists (select 1 from "ORDERS" "C" where "C"."USER_ID" = "A"."USER_ID" and "C"."PAID_AT" >= TO_DATE(:1, \'YYYY-MM-DD HH24:MI:SS\') and "C"."PAID_AT" < TO_DATE(:2, \'YYYY-MM-DD HH24:MI:SS\') and "C"."CATEGORY" = :3)',
    },
    bindings: ['2026-10-24 09:00:00', '2026-11-23 09:00:00', 'fridge'],
  },
  {
    feature: 'converted naming the job source explicitly, with its own key column, 36h',
    job: { exclude: 'converted: { source: wh, table: orders, key: buyer_id, time: paid_at, within: 36h }' },
    sql: {
      sqlite:
        SELECT.sqlite +
        ' where not exists (select 1 from `orders` as `c` where `c`.`buyer_id` = `a`.`user_id` and `c`.`paid_at` >= ? and `c`.`paid_at` < ?)',
      mysql:
        SELECT.mysql +
        ' where not exists (select 1 from `orders` as `c` where `c`.`buyer_id` = `a`.`user_id` and `c`.`paid_at` >= ? and `c`.`paid_at` < ?)',
      postgres:
        SELECT.postgres +
        ' where not exists (select 1 from "orders" as "c" where "c"."buyer_id" = "a"."user_id" and "c"."paid_at" >= $1 and "c"."paid_at" < $2)',
      oracle:
        SELECT.oracle +
        ' where not exists (select 1 from "ORDERS" "C" where "C"."BUYER_ID" = "A"."USER_ID" and "C"."PAID_AT" >= TO_DATE(:1, \'YYYY-MM-DD HH24:MI:SS\') and "C"."PAID_AT" < TO_DATE(:2, \'YYYY-MM-DD HH24:MI:SS\'))',
    },
    bindings: ['2026-11-21 21:00:00', '2026-11-23 09:00:00'],
  },
  {
    // Conversions on another connection cannot join: they filter the stream, so the query has
    // no NOT EXISTS and the limit stays in the stream (ordered by key so it is stable).
    feature: 'converted on another connection: not in the SQL, limit not pushed',
    job: { exclude: 'converted: { source: crm, table: orders, time: paid_at, within: 30d }', lead: 'limit: 10' },
    sql: {
      sqlite: SELECT.sqlite + ' order by `a`.`user_id` asc',
      mysql: SELECT.mysql + ' order by `a`.`user_id` asc',
      postgres: SELECT.postgres + ' order by "a"."user_id" asc',
      oracle: SELECT.oracle + ' order by "A"."USER_ID" asc',
    },
    bindings: [],
    pushLimit: false,
  },
  // --- lead ----------------------------------------------------------------------------
  {
    feature: 'lead fields as a list: the key once (it is the first field), then the fields in order',
    job: { fields: '[user_id, name, phone, city]' },
    sql: {
      sqlite: 'select `a`.`user_id`, `a`.`name`, `a`.`phone`, `a`.`city` from `dim_user` as `a`',
      mysql: 'select `a`.`user_id`, `a`.`name`, `a`.`phone`, `a`.`city` from `dim_user` as `a`',
      postgres: 'select "a"."user_id", "a"."name", "a"."phone", "a"."city" from "dim_user" as "a"',
      oracle: 'select "A"."USER_ID", "A"."NAME", "A"."PHONE", "A"."CITY" from "DIM_USER" "A"',
    },
    bindings: [],
  },
  {
    feature: 'lead fields as a map out_name: column (names are the CSV header, not SQL aliases)',
    job: { fields: '{ id: user_id, mobile: phone, home_city: city }' },
    sql: {
      sqlite: 'select `a`.`user_id`, `a`.`phone`, `a`.`city` from `dim_user` as `a`',
      mysql: 'select `a`.`user_id`, `a`.`phone`, `a`.`city` from `dim_user` as `a`',
      postgres: 'select "a"."user_id", "a"."phone", "a"."city" from "dim_user" as "a"',
      oracle: 'select "A"."USER_ID", "A"."PHONE", "A"."CITY" from "DIM_USER" "A"',
    },
    bindings: [],
  },
  {
    feature: 'the key not among the fields: selected first, then the fields (the row layout)',
    job: { fields: '[name, phone]' },
    sql: {
      sqlite: 'select `a`.`user_id`, `a`.`name`, `a`.`phone` from `dim_user` as `a`',
      mysql: 'select `a`.`user_id`, `a`.`name`, `a`.`phone` from `dim_user` as `a`',
      postgres: 'select "a"."user_id", "a"."name", "a"."phone" from "dim_user" as "a"',
      oracle: 'select "A"."USER_ID", "A"."NAME", "A"."PHONE" from "DIM_USER" "A"',
    },
    bindings: [],
    keyAt: undefined,
  },
  {
    // The warehouse copies column 1 to the front of each row (src/warehouses/key-first.ts).
    feature: 'the key as a later field: selected once, in its place',
    job: { fields: '[phone, user_id]' },
    sql: {
      sqlite: 'select `a`.`phone`, `a`.`user_id` from `dim_user` as `a`',
      mysql: 'select `a`.`phone`, `a`.`user_id` from `dim_user` as `a`',
      postgres: 'select "a"."phone", "a"."user_id" from "dim_user" as "a"',
      oracle: 'select "A"."PHONE", "A"."USER_ID" from "DIM_USER" "A"',
    },
    bindings: [],
    keyAt: 1,
  },
  {
    feature: 'audience key other than user_id',
    job: { table: 'dim_member', audience: 'key: member_id', fields: '[member_id, phone]' },
    sql: {
      sqlite: 'select `a`.`member_id`, `a`.`phone` from `dim_member` as `a`',
      mysql: 'select `a`.`member_id`, `a`.`phone` from `dim_member` as `a`',
      postgres: 'select "a"."member_id", "a"."phone" from "dim_member" as "a"',
      oracle: 'select "A"."MEMBER_ID", "A"."PHONE" from "DIM_MEMBER" "A"',
    },
    bindings: [],
  },
  {
    // NULLs last everywhere (MySQL has no NULLS LAST: `x IS NULL` sorts them after); the key
    // breaks ties so every engine yields the same order.
    feature: 'order_by desc, NULLs last, ties by key',
    job: { lead: 'order_by: { income: desc }' },
    sql: {
      sqlite: SELECT.sqlite + ' order by `a`.`income` desc NULLS LAST, `a`.`user_id` asc',
      mysql: SELECT.mysql + ' order by ' + MYSQL_ORDER('income', 'desc') + ', `a`.`user_id` asc',
      postgres: SELECT.postgres + ' order by ' + POSTGRES_ORDER('income', 'desc') + ', "a"."user_id" asc',
      oracle: SELECT.oracle + ' order by "A"."INCOME" desc NULLS LAST, "A"."USER_ID" asc',
    },
    bindings: [],
  },
  {
    feature: 'order_by on two columns, asc NULLs last too',
    job: { lead: 'order_by: { income: desc, age: asc }' },
    sql: {
      sqlite: SELECT.sqlite + ' order by `a`.`income` desc NULLS LAST, `a`.`age` asc NULLS LAST, `a`.`user_id` asc',
      mysql:
        SELECT.mysql +
        ' order by ' +
        MYSQL_ORDER('income', 'desc') +
        ', ' +
        MYSQL_ORDER('age', 'asc') +
        ', `a`.`user_id` asc',
      postgres:
        SELECT.postgres +
        ' order by ' +
        POSTGRES_ORDER('income', 'desc') +
        ', ' +
        POSTGRES_ORDER('age', 'asc') +
        ', "a"."user_id" asc',
      oracle: SELECT.oracle + ' order by "A"."INCOME" desc NULLS LAST, "A"."AGE" asc NULLS LAST, "A"."USER_ID" asc',
    },
    bindings: [],
  },
  {
    feature: 'limit pushed into SQL when nothing downstream drops rows (no require)',
    job: { lead: 'order_by: { income: desc }\n  limit: 100' },
    sql: {
      sqlite: SELECT.sqlite + ' order by `a`.`income` desc NULLS LAST, `a`.`user_id` asc limit ?',
      mysql: SELECT.mysql + ' order by ' + MYSQL_ORDER('income', 'desc') + ', `a`.`user_id` asc limit ?',
      postgres: SELECT.postgres + ' order by ' + POSTGRES_ORDER('income', 'desc') + ', "a"."user_id" asc limit $1',
      oracle:
        'select * from (select "A"."USER_ID" "C0", "A"."PHONE" "C1" from "DIM_USER" "A" order by "A"."INCOME" desc NULLS LAST, "A"."USER_ID" asc) where rownum <= :1',
    },
    bindings: [100],
    pushLimit: true,
  },
  {
    feature: 'limit without order_by: first N by key',
    job: { lead: 'limit: 100' },
    sql: {
      sqlite: SELECT.sqlite + ' order by `a`.`user_id` asc limit ?',
      mysql: SELECT.mysql + ' order by `a`.`user_id` asc limit ?',
      postgres: SELECT.postgres + ' order by "a"."user_id" asc limit $1',
      oracle:
        'select * from (select "A"."USER_ID" "C0", "A"."PHONE" "C1" from "DIM_USER" "A" order by "A"."USER_ID" asc) where rownum <= :1',
    },
    bindings: [100],
    pushLimit: true,
  },
  {
    feature: 'order_by the key itself: no second sort by the key',
    job: { lead: 'order_by: { user_id: desc }\n  limit: 100' },
    sql: {
      sqlite: SELECT.sqlite + ' order by `a`.`user_id` desc NULLS LAST limit ?',
      mysql: SELECT.mysql + ' order by ' + MYSQL_ORDER('user_id', 'desc') + ' limit ?',
      postgres: SELECT.postgres + ' order by ' + POSTGRES_ORDER('user_id', 'desc') + ' limit $1',
      oracle:
        'select * from (select "A"."USER_ID" "C0", "A"."PHONE" "C1" from "DIM_USER" "A" order by "A"."USER_ID" desc NULLS LAST) where rownum <= :1',
    },
    bindings: [100],
    pushLimit: true,
  },
  {
    feature: 'limit not pushed with require (unreachable leads are dropped in the stream)',
    job: { lead: 'require: [phone]\n  order_by: { income: desc }\n  limit: 100' },
    sql: {
      sqlite: SELECT.sqlite + ' order by `a`.`income` desc NULLS LAST, `a`.`user_id` asc',
      mysql: SELECT.mysql + ' order by ' + MYSQL_ORDER('income', 'desc') + ', `a`.`user_id` asc',
      postgres: SELECT.postgres + ' order by ' + POSTGRES_ORDER('income', 'desc') + ', "a"."user_id" asc',
      oracle: SELECT.oracle + ' order by "A"."INCOME" desc NULLS LAST, "A"."USER_ID" asc',
    },
    bindings: [],
    pushLimit: false,
  },
  {
    feature: 'qualified audience table dw.dim_user',
    job: { table: 'dw.dim_user' },
    sql: {
      sqlite: 'select `a`.`user_id`, `a`.`phone` from `dw`.`dim_user` as `a`',
      mysql: 'select `a`.`user_id`, `a`.`phone` from `dw`.`dim_user` as `a`',
      postgres: 'select "a"."user_id", "a"."phone" from "dw"."dim_user" as "a"',
      oracle: 'select "A"."USER_ID", "A"."PHONE" from "DW"."DIM_USER" "A"',
    },
    bindings: [],
  },
];

describe.each(KNEX_DIALECTS)('offline SQL on %s', (dialect) => {
  it.each(CASES.map((c) => [c.feature, c] as const))('%s', (_feature, c) => {
    const { plan, query } = compile(jobText(c.job), dialect);
    expect(query.sql).toBe(c.sql[dialect]);
    expect(query.bindings).toEqual(
      c.dialectBindings?.[dialect] ?? (dialect === 'oracle' && c.oracleBindings ? c.oracleBindings : c.bindings),
    );
    if (c.pushLimit !== undefined) expect(plan.pushLimit).toBe(c.pushLimit);
    expect(query.keyAt).toBe('keyAt' in c ? c.keyAt : 0);
  });
});

// The issue's own example, every feature at once: rules in funnel order (where, segments,
// tags, converted), then order and no LIMIT (require keeps it in the stream).
const ISSUE_JOB = `
name: high-value-fridge-buyers
description: 高价值、偏好家电、近30天未购买冰箱的用户
source: wh
timezone: Asia/Shanghai
audience:
  table: dw.dim_user
  key: user_id
  where:
    age: { between: [25, 45] }
    city: [北京, 上海, 深圳]
    gender: M
  segments:
    value_tier: [high, top]
  tags:
    table: user_tag
    all: [购买力强]
    any: [偏好家电, 偏好厨电]
    none: [投诉用户]
exclude:
  converted:
    table: orders
    key: user_id
    time: paid_at
    within: 30d
    where: { category: fridge }
lead:
  fields: [user_id, name, phone, city]
  require: [phone]
  order_by: { income: desc }
  limit: 5000
destinations:
  - type: csv
    path: out/{{job}}/{{date}}.csv
    bom: true
`;

const ISSUE_SQL: Record<KnexDialect, string> = {
  sqlite:
    'select `a`.`user_id`, `a`.`name`, `a`.`phone`, `a`.`city` from `dw`.`dim_user` as `a`' +
    ' where `a`.`age` between ? and ? and `a`.`city` in (?, ?, ?) and `a`.`gender` = ? and `a`.`value_tier` in (?, ?)' +
    ' and exists (select 1 from `user_tag` as `t` where `t`.`user_id` = `a`.`user_id` and `t`.`tag` in (?))' +
    ' and exists (select 1 from `user_tag` as `t` where `t`.`user_id` = `a`.`user_id` and `t`.`tag` in (?, ?))' +
    ' and not exists (select 1 from `user_tag` as `t` where `t`.`user_id` = `a`.`user_id` and `t`.`tag` in (?))' +
    ' and not exists (select 1 from `orders` as `c` where `c`.`user_id` = `a`.`user_id` and `c`.`paid_at` >= ? and `c`.`paid_at` < ? and `c`.`category` = ?)' +
    ' order by `a`.`income` desc NULLS LAST, `a`.`user_id` asc',
  mysql:
    'select `a`.`user_id`, `a`.`name`, `a`.`phone`, `a`.`city` from `dw`.`dim_user` as `a`' +
    ' where `a`.`age` between ? and ? and `a`.`city` in (CAST(? AS BINARY), CAST(? AS BINARY), CAST(? AS BINARY)) and `a`.`gender` = CAST(? AS BINARY) and `a`.`value_tier` in (CAST(? AS BINARY), CAST(? AS BINARY))' +
    ' and exists (select 1 from `user_tag` as `t` where `t`.`user_id` = `a`.`user_id` and `t`.`tag` in (CAST(? AS BINARY)))' +
    ' and exists (select 1 from `user_tag` as `t` where `t`.`user_id` = `a`.`user_id` and `t`.`tag` in (CAST(? AS BINARY), CAST(? AS BINARY)))' +
    ' and not exists (select 1 from `user_tag` as `t` where `t`.`user_id` = `a`.`user_id` and `t`.`tag` in (CAST(? AS BINARY)))' +
    ' and not exists (select 1 from `orders` as `c` where `c`.`user_id` = `a`.`user_id` and `c`.`paid_at` >= ? and `c`.`paid_at` < ? and `c`.`category` = CAST(? AS BINARY))' +
    ' order by ' +
    MYSQL_ORDER('income', 'desc') +
    ', `a`.`user_id` asc',
  postgres:
    'select "a"."user_id", "a"."name", "a"."phone", "a"."city" from "dw"."dim_user" as "a"' +
    ' where "a"."age" between $1 and $2 and "a"."city" in ($3, $4, $5) and "a"."gender" = $6 and "a"."value_tier" in ($7, $8)' +
    ' and exists (select 1 from "user_tag" as "t" where "t"."user_id" = "a"."user_id" and "t"."tag" in ($9))' +
    ' and exists (select 1 from "user_tag" as "t" where "t"."user_id" = "a"."user_id" and "t"."tag" in ($10, $11))' +
    ' and not exists (select 1 from "user_tag" as "t" where "t"."user_id" = "a"."user_id" and "t"."tag" in ($12))' +
    ' and not exists (select 1 from "orders" as "c" where "c"."user_id" = "a"."user_id" and "c"."paid_at" >= $13 and "c"."paid_at" < $14 and "c"."category" = $15)' +
    ' order by ' +
    POSTGRES_ORDER('income', 'desc') +
    ', "a"."user_id" asc',
  oracle:
    'select "A"."USER_ID", "A"."NAME", "A"."PHONE", "A"."CITY" from "DW"."DIM_USER" "A"' +
    ' where "A"."AGE" between :1 and :2 and "A"."CITY" in (:3, :4, :5) and "A"."GENDER" = :6 and "A"."VALUE_TIER" in (:7, :8)' +
    ' and exists (select 1 from "USER_TAG" "T" where "T"."USER_ID" = "A"."USER_ID" and "T"."TAG" in (:9))' +
    ' and exists (select 1 from "USER_TAG" "T" where "T"."USER_ID" = "A"."USER_ID" and "T"."TAG" in (:10, :11))' +
    ' and not exists (select 1 from "USER_TAG" "T" where "T"."USER_ID" = "A"."USER_ID" and "T"."TAG" in (:12))' +
    ' and not exists (select 1 from "ORDERS" "C" where "C"."USER_ID" = "A"."USER_ID" and "C"."PAID_AT" >= TO_DATE(:13, \'YYYY-MM-DD HH24:MI:SS\') and "C"."PAID_AT" < TO_DATE(:14, \'YYYY-MM-DD HH24:MI:SS\') and "C"."CATEGORY" = :15)' +
    ' order by "A"."INCOME" desc NULLS LAST, "A"."USER_ID" asc',
};

describe('the issue example job', () => {
  it.each(KNEX_DIALECTS)('compiles to one statement on %s', (dialect) => {
    const { plan, query } = compile(ISSUE_JOB, dialect);
    expect(query.sql).toBe(ISSUE_SQL[dialect]);
    expect(query.bindings).toEqual([
      25,
      45,
      '北京',
      '上海',
      '深圳',
      'M',
      'high',
      'top',
      '购买力强',
      '偏好家电',
      '偏好厨电',
      '投诉用户',
      '2026-10-24 09:00:00',
      '2026-11-23 09:00:00',
      'fridge',
    ]);
    expect(plan.header).toEqual(['user_id', 'name', 'phone', 'city']);
    expect(plan.pushLimit).toBe(false);
    expect(plan.convertedInWarehouse).toBe(true);
  });

  it('reads --at with an offset as the same instant in the job timezone', () => {
    const job = loadJob('/virtual/sql-case.yaml', CONNECTIONS, {}, ISSUE_JOB);
    const utc = resolveRunTime('2026-11-23T01:00:00Z', job.timezone);
    expect(utc.local).toBe('2026-11-23 09:00:00');
    expect(renderQuery(planJob(job, utc, 'postgres')).bindings.slice(-3)).toEqual([
      '2026-10-24 09:00:00',
      '2026-11-23 09:00:00',
      'fridge',
    ]);
  });
});
