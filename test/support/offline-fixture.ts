// A small warehouse whose answers are worked out by hand, for the offline-leads tests: the
// same jobs must give the same leads on SQLite, MySQL and PostgreSQL. Every person is here
// for one reason (a boundary, one rule that drops them, a tricky cell); the reasoning is in
// the comments next to each job's expected answer.
import type { FixtureTable } from './databases.ts';

/** The run time: 09:00 in Shanghai. Conversion window [2026-10-24 09:00:00, 2026-11-23 09:00:00). */
export const OFFLINE_AT = '2026-11-23T09:00:00';

interface Person {
  user_id: number;
  name: string;
  phone: string | null;
  city: string;
  gender: 'M' | 'F';
  age: number;
  income: number | null;
  value_tier: string | null;
  email: string | null;
}

const person = (
  user_id: number,
  name: string,
  phone: string | null,
  city: string,
  gender: 'M' | 'F',
  age: number,
  income: number | null,
  value_tier: string | null,
  email: string | null,
): Person => ({ user_id, name, phone, city, gender, age, income, value_tier, email });

// A "good" person is 30, male, in 北京/上海/深圳, high or top tier, tagged 购买力强 + 偏好家电.
const PEOPLE: Person[] = [
  person(101, '张伟', '13800000101', '北京', 'M', 25, 9000, 'high', 'zw@example.com'), // age 25: between's low edge
  person(102, '王强', '13800000102', '上海', 'M', 45, 12000, 'top', 'wq@example.com'), // age 45: between's high edge
  person(103, '李明', '13800000103', '北京', 'M', 24, 9500, 'high', 'lm@example.com'), // age 24: below
  person(104, '赵磊', '13800000104', '深圳', 'M', 46, 9500, 'high', 'zl@example.com'), // age 46: above
  person(105, '陈杰', '13800000105', '广州', 'M', 30, 9500, 'high', 'cj@example.com'), // city not in the list
  person(106, '刘洋', '13800000106', '北京', 'F', 30, 9500, 'high', 'ly@example.com'), // gender F
  person(107, '杨帆', '13800000107', '北京', 'M', 30, 9500, 'mid', 'yf@example.com'), // tier mid
  person(108, '黄勇', '13800000108', '北京', 'M', 30, 9500, null, null), // tier NULL (IN never matches NULL); email NULL
  person(109, '周杰', '13800000109', '上海', 'M', 30, 9500, 'high', 'zj@example.com'), // tags: lacks 购买力强
  person(110, '吴昊', '13800000110', '上海', 'M', 30, 9500, 'high', 'wh@example.com'), // tags: none of any
  person(111, '徐涛', '13800000111', '上海', 'M', 30, 9500, 'high', 'xt@example.com'), // tags: has 投诉用户
  person(112, '孙鹏', '13800000112', '深圳', 'M', 30, 9500, 'top', 'sp@example.com'), // fridge exactly at at-30d
  person(113, '马超', '13800000113', '深圳', 'M', 30, null, 'top', 'mc@example.com'), // fridge exactly at `at`; income NULL
  person(114, '朱磊', '13800000114', '深圳', 'M', 30, 5000, 'top', 'zhu@example.com'), // fridge 1s before the window
  person(115, '胡斌', '13800000115', '北京', 'M', 30, 9000, 'high', 'hb@example.com'), // tv (not fridge) in the window
  person(116, '郭亮', null, '北京', 'M', 30, 20000, 'high', 'gl@example.com'), // phone NULL: unreachable
  person(117, '何伟', '', '上海', 'M', 30, 15000, 'high', 'hw@example.com'), // phone '': unreachable
  person(118, '高峰', '   ', '深圳', 'M', 30, 13000, 'top', 'gf@example.com'), // phone blank: unreachable
  person(119, '林峰', '13800000119', '北京', 'M', 35, 7000, 'high', 'lf@example.com'), // tagged twice, both `any` tags
  person(120, 'Li "Lee", Jr.', '+86 138 0000 0120', '深圳', 'M', 40, 8000, 'high', 'li@example.com'), // quotes, comma, formula-like phone
  person(121, '罗兵', '13800000121', '北京', 'M', 30, 4999, 'high', 'lb@example.com'), // no tags at all
  // 杭州: the ranking cohort (limit with order_by, NULLs, ties) and the cross-connection case.
  person(201, '排名一', '13800000201', '杭州', 'M', 30, null, 'high', 'r1@example.com'),
  person(202, '排名二', '13800000202', '杭州', 'M', 30, 3000, 'high', 'r2@example.com'),
  person(203, '排名三', '13800000203', '杭州', 'M', 30, 5000, 'high', 'r3@example.com'),
  person(204, '排名四', '13800000204', '杭州', 'M', 30, 5000, 'high', 'r4@example.com'),
  person(205, '排名五', '13800000205', '杭州', 'M', 30, null, 'high', 'r5@example.com'),
  person(206, '排名六', '13800000206', '杭州', 'M', 30, 1000, 'high', 'r6@example.com'),
];

const GOOD_TAGS = ['购买力强', '偏好家电'];
const TAGS: Record<number, string[]> = {
  102: ['购买力强', '偏好厨电'],
  109: ['偏好家电'],
  110: ['购买力强'],
  111: ['购买力强', '偏好家电', '投诉用户'],
  // 购买力强 twice and both `any` tags: still one lead (EXISTS, not a join).
  119: ['购买力强', '购买力强', '偏好家电', '偏好厨电'],
  121: [],
};
const tagsOf = (id: number) => TAGS[id] ?? (id < 200 ? GOOD_TAGS : []);

export function warehouseTables(): FixtureTable[] {
  return [
    {
      name: 'dim_user',
      columns: {
        user_id: 'bigInteger',
        name: 'string',
        phone: 'string',
        city: 'string',
        gender: 'string',
        age: 'integer',
        income: 'integer',
        value_tier: 'string',
        email: 'string',
      },
      rows: PEOPLE.map((p) => ({ ...p })),
    },
    {
      name: 'user_tag',
      columns: { user_id: 'bigInteger', tag: 'string' },
      rows: PEOPLE.flatMap((p) => tagsOf(p.user_id).map((tag) => ({ user_id: p.user_id, tag }))),
      indexes: [['user_id', 'tag']],
    },
    {
      name: 'orders',
      columns: { order_id: 'integer', user_id: 'bigInteger', category: 'string', paid_at: 'datetime' },
      rows: [
        { order_id: 1, user_id: 112, category: 'fridge', paid_at: '2026-10-24 09:00:00' }, // = at - 30d: inside [from, to)
        { order_id: 2, user_id: 113, category: 'fridge', paid_at: '2026-11-23 09:00:00' }, // = at: outside
        { order_id: 3, user_id: 114, category: 'fridge', paid_at: '2026-10-24 08:59:59' }, // 1s before: outside
        { order_id: 4, user_id: 115, category: 'tv', paid_at: '2026-11-01 12:00:00' }, // not a fridge
        { order_id: 5, user_id: 101, category: 'fridge', paid_at: '2025-11-01 10:00:00' }, // a year ago
      ],
    },
    // Long-table segments: (key, dimension, segment).
    {
      name: 'user_segment',
      columns: { user_id: 'bigInteger', dimension: 'string', segment: 'string' },
      rows: [
        { user_id: 101, dimension: 'value_tier', segment: 'high' },
        { user_id: 101, dimension: 'life_stage', segment: 'parent' },
        { user_id: 102, dimension: 'value_tier', segment: 'top' },
        { user_id: 102, dimension: 'life_stage', segment: 'single' },
        { user_id: 113, dimension: 'value_tier', segment: 'top' },
        { user_id: 113, dimension: 'life_stage', segment: 'parent' },
        { user_id: 114, dimension: 'value_tier', segment: 'top' },
        { user_id: 114, dimension: 'life_stage', segment: 'parent' },
        { user_id: 119, dimension: 'value_tier', segment: 'mid' },
        { user_id: 119, dimension: 'life_stage', segment: 'parent' },
        { user_id: 120, dimension: 'value_tier', segment: 'high' },
      ],
    },
    // Tags under other names: key `uid`, tag column `label`.
    {
      name: 'user_label',
      columns: { uid: 'bigInteger', label: 'string' },
      rows: [
        { uid: 101, label: 'vip' },
        { uid: 102, label: 'vip' },
        { uid: 113, label: 'vip' },
        { uid: 113, label: 'blocked' },
        { uid: 114, label: 'vip' },
        { uid: 119, label: 'vip' },
        { uid: 120, label: 'vip' },
      ],
    },
  ];
}

/** Conversions kept on another connection (the CRM database): key `buyer_id`. */
export function crmTables(): FixtureTable[] {
  return [
    {
      name: 'crm_orders',
      columns: { buyer_id: 'bigInteger', category: 'string', paid_at: 'datetime' },
      rows: [
        { buyer_id: 203, category: 'fridge', paid_at: '2026-10-24 09:00:00' }, // = at - 30d: converted
        { buyer_id: 204, category: 'fridge', paid_at: '2026-11-23 09:00:00' }, // = at: not converted
        { buyer_id: 202, category: 'fridge', paid_at: '2026-11-10 10:00:00' }, // converted...
        { buyer_id: 202, category: 'fridge', paid_at: '2026-11-11 10:00:00' }, // ...twice: one key
        { buyer_id: 206, category: 'fridge', paid_at: '2026-09-01 10:00:00' }, // before the window
        { buyer_id: 201, category: 'tv', paid_at: '2026-11-20 10:00:00' }, // not a fridge
      ],
    },
  ];
}

export interface OfflineCase {
  /** Job file content; `source: wh` is the warehouse, `crm` the other connection. */
  yaml: string;
  /** The CSV the job must write, exactly (rows in order when the job orders them). */
  csv: string;
  /** Without order_by the row order is the engine's: compare sorted lines. */
  ordered: boolean;
  counts: { rows?: number; unreachable: number; converted_elsewhere: number; limit_reached?: boolean };
  leads: number;
}

const csv = (...lines: string[]) => lines.map((l) => `${l}\r\n`).join('');

/** Sorted data lines of a CSV (header and BOM dropped), for comparing lead sets with a case's csv. */
export const csvRows = (text: string): string[] =>
  text
    .replace(/^\uFEFF/, '')
    .split('\r\n')
    .slice(1)
    .filter(Boolean)
    .sort();
const BOM = '\uFEFF';

const MAIN_AUDIENCE = `audience:
  table: dim_user
  where:
    age: { between: [25, 45] }
    city: [北京, 上海, 深圳]
    gender: M
  segments: { value_tier: [high, top] }
  tags: { table: user_tag, all: [购买力强], any: [偏好家电, 偏好厨电], none: [投诉用户] }
exclude:
  converted: { table: orders, time: paid_at, within: 30d, where: { category: fridge } }`;

const header = (name: string, bom = false) => `name: ${name}
source: wh
timezone: Asia/Shanghai
destinations: [ { type: csv, path: "out/{{job}}.csv", bom: ${bom} } ]`;

export const OFFLINE_CASES: Record<string, OfflineCase> = {
  // where: age 25..45 drops 103 (24) and 104 (46), keeps 101 (25) and 102 (45); city drops 105
  // and the 杭州 cohort; gender drops 106. segments drop 107 (mid) and 108 (NULL). tags: all
  // drops 109 and 121, any drops 110, none drops 111. converted (fridge in [10-24 09:00, 11-23
  // 09:00)) drops 112 (exactly at the start) but not 113 (exactly at `at`), 114 (1s before) or
  // 115 (tv). The warehouse returns 10 rows: 101 102 113 114 115 116 117 118 119 120 (119 once).
  // require phone: 116 (NULL), 117 (''), 118 ('   ') are unreachable -> 7 leads, by income desc,
  // ties by key (101 before 115 at 9000), NULL last (113).
  'offline-main': {
    yaml: `${header('offline-main', true)}
${MAIN_AUDIENCE}
lead:
  fields: [user_id, name, phone, city]
  require: [phone]
  order_by: { income: desc }
`,
    csv:
      BOM +
      csv(
        'user_id,name,phone,city',
        '102,王强,13800000102,上海',
        '101,张伟,13800000101,北京',
        '115,胡斌,13800000115,北京',
        `120,"Li ""Lee"", Jr.",'+86 138 0000 0120,深圳`,
        '119,林峰,13800000119,北京',
        '114,朱磊,13800000114,深圳',
        '113,马超,13800000113,深圳',
      ),
    ordered: true,
    counts: { rows: 10, unreachable: 3, converted_elsewhere: 0, limit_reached: false },
    leads: 7,
  },
  // The same people with limit 4. require keeps the limit in the stream, so unreachable
  // people do not use it up: by income desc the stream is 116 117 118 (unreachable), then
  // 102 101 115 120 -> the first four reachable leads.
  'offline-limit': {
    yaml: `${header('offline-limit')}
${MAIN_AUDIENCE}
lead:
  fields: [user_id, phone, income]
  require: [phone]
  order_by: { income: desc }
  limit: 4
`,
    csv: csv(
      'user_id,phone,income',
      '102,13800000102,12000',
      '101,13800000101,9000',
      '115,13800000115,9000',
      `120,'+86 138 0000 0120,8000`,
    ),
    ordered: true,
    counts: { unreachable: 3, converted_elsewhere: 0, limit_reached: true },
    leads: 4,
  },
  // 杭州 by income desc, limit 3 (pushed into SQL: nothing downstream drops rows). Incomes:
  // 201 NULL, 202 3000, 203 5000, 204 5000, 205 NULL, 206 1000. NULLs last (PostgreSQL would
  // put them first on DESC), the 5000 tie broken by key: 203, 204, then 202.
  'rank-desc': {
    yaml: `${header('rank-desc')}
audience: { table: dim_user, where: { city: 杭州 } }
lead:
  fields: [user_id, income]
  order_by: { income: desc }
  limit: 3
`,
    csv: csv('user_id,income', '203,5000', '204,5000', '202,3000'),
    ordered: true,
    counts: { unreachable: 0, converted_elsewhere: 0 },
    leads: 3,
  },
  // Ascending, limit 5: NULLs still last (MySQL and SQLite would put them first on ASC):
  // 206 1000, 202 3000, 203 5000, 204 5000, then the first NULL by key: 201 (not 205).
  'rank-asc': {
    yaml: `${header('rank-asc')}
audience: { table: dim_user, where: { city: 杭州 } }
lead:
  fields: [user_id, income]
  order_by: { income: asc }
  limit: 5
`,
    csv: csv('user_id,income', '206,1000', '202,3000', '203,5000', '204,5000', '201,'),
    ordered: true,
    counts: { unreachable: 0, converted_elsewhere: 0 },
    leads: 5,
  },
  // The person key as a later field, and the order by the key itself: selected and sorted once
  // (issue 10), the CSV still field by field. 杭州 by key desc, limit 3: 206, 205 (NULL income), 204.
  'key-later': {
    yaml: `${header('key-later')}
audience: { table: dim_user, where: { city: 杭州 } }
lead:
  fields: [income, user_id]
  order_by: { user_id: desc }
  limit: 3
`,
    csv: csv('income,user_id', '1000,206', ',205', '5000,204'),
    ordered: true,
    counts: { unreachable: 0, converted_elsewhere: 0 },
    leads: 3,
  },
  // Every other operator, each dropping at least one person no other condition drops:
  // ne F -> 106; not_in -> 105 and 杭州; gt 24 -> 103; lte 45 -> 104 (keeps 102 at 45);
  // gte 5000 -> 121 (4999) and 113 (NULL), keeps 114 (5000); lt 13000 -> 118 (13000), 117,
  // 116; is_null false -> 108; like '138%' -> 120 ('+86 ...'). Left: 101 102 107 109 110 111
  // 112 114 115 119. No order_by: compared as a set.
  operators: {
    yaml: `${header('operators')}
audience:
  table: dim_user
  where:
    gender: { ne: F }
    city: { not_in: [广州, 杭州] }
    age: { gt: 24, lte: 45 }
    income: { gte: 5000, lt: 13000 }
    email: { is_null: false }
    phone: { like: "138%" }
lead:
  fields: [user_id, name]
`,
    csv: csv(
      'user_id,name',
      '101,张伟',
      '102,王强',
      '107,杨帆',
      '109,周杰',
      '110,吴昊',
      '111,徐涛',
      '112,孙鹏',
      '114,朱磊',
      '115,胡斌',
      '119,林峰',
    ),
    ordered: false,
    counts: { rows: 10, unreachable: 0, converted_elsewhere: 0 },
    leads: 10,
  },
  // Long-table segments: value_tier in (high, top) AND life_stage = parent -> 101, 113, 114
  // (102 is single, 119 is mid, 120 has no life_stage). Tags under other names (user_label,
  // key uid, column label): any vip keeps all three, none blocked drops 113 -> 101, 114.
  // Fields as a map: the header is the output names.
  'long-tables': {
    yaml: `${header('long-tables')}
audience:
  table: dim_user
  segments: { table: user_segment, value_tier: [high, top], life_stage: parent }
  tags: { table: user_label, key: uid, column: label, any: [vip], none: [blocked] }
lead:
  fields: { id: user_id, full_name: name, mobile: phone }
  order_by: { user_id: asc }
`,
    csv: csv('id,full_name,mobile', '101,张伟,13800000101', '114,朱磊,13800000114'),
    ordered: true,
    counts: { unreachable: 0, converted_elsewhere: 0 },
    leads: 2,
  },
  // Conversions on another connection (crm_orders, key buyer_id): the keys converted in
  // [at-30d, at) with category fridge are 203 (exactly at at-30d) and 202 (twice); 204 (at
  // `at`), 206 (September) and 201 (tv) are not. The 杭州 stream by income desc, NULLs last,
  // ties by key: 203 (converted) 204 202 (converted) 206 201 | 205; limit 3 stops after 201.
  'cross-connection': {
    yaml: `${header('cross-connection')}
audience: { table: dim_user, where: { city: 杭州 } }
exclude:
  converted: { source: crm, table: crm_orders, key: buyer_id, time: paid_at, within: 30d, where: { category: fridge } }
lead:
  fields: [user_id, name, income]
  order_by: { income: desc }
  limit: 3
`,
    csv: csv('user_id,name,income', '204,排名四,5000', '206,排名六,1000', '201,排名一,'),
    ordered: true,
    counts: { unreachable: 0, converted_elsewhere: 2, limit_reached: true },
    leads: 3,
  },
};

/**
 * The dry-run funnel of offline-main: 27 people; where keeps 17 (drops 103 104 105 106 and the
 * six in 杭州); segments 15 (107 108); tags 11 (109 110 111 121); converted 10 (112); require 7.
 */
export const MAIN_FUNNEL = [
  { rule: 'audience', remaining: 27 },
  { rule: 'where', remaining: 17 },
  { rule: 'segments', remaining: 15 },
  { rule: 'tags', remaining: 11 },
  { rule: 'converted', remaining: 10 },
  { rule: 'require', remaining: 7 },
];
