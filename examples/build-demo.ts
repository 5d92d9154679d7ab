// Builds examples/demo.db, the embedded demo warehouse of the quick start: users with
// properties, segments (分群), tags (标签), items, behaviour events and orders, then the ids
// each person has bound on each channel and their opt-outs (issue 12), and the people the
// seed jobs in jobs/ are about (issue 13, see seedScenarios). Seeded, so every machine gets the
// same people; times are relative to the hour it is built, so that "the last 30 days" always
// has data. Runs from `npm ci` (prepare) and is skipped when the file exists and is of this
// version (pass --force to rebuild).
import { existsSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { DateTime } from 'luxon';

const target = process.argv.find((a) => a.endsWith('.db')) ?? fileURLToPath(new URL('./demo.db', import.meta.url));
const force = process.argv.includes('--force');
const USERS = 5000;
/**
 * Stored as SQLite's user_version: a demo.db built by an older version of this script is
 * rebuilt by `npm ci`. 2: channel bindings, opt-outs and the seed jobs' people.
 */
const DEMO_VERSION = 2;

if (existsSync(target) && !force && builtVersion(target) >= DEMO_VERSION) process.exit(0);
rmSync(target, { force: true });

function builtVersion(path: string): number {
  const db = new Database(path, { readonly: true });
  try {
    return Number(db.pragma('user_version', { simple: true }));
  } finally {
    db.close();
  }
}

// mulberry32: a small seeded generator, so every machine builds the same people.
function generator(start: number): () => number {
  let seed = start;
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
// The base tables draw from this one only, in the order below: anything added later draws from
// its own generator, so the quick start's people never change.
let random = generator(20240409);
const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)];
const between = (low: number, high: number) => low + Math.floor(random() * (high - low + 1));

const SURNAMES = [
  '王',
  '李',
  '张',
  '刘',
  '陈',
  '杨',
  '黄',
  '赵',
  '吴',
  '周',
  '徐',
  '孙',
  '马',
  '朱',
  '胡',
  '郭',
  '何',
  '林',
];
const GIVEN = [
  '伟',
  '芳',
  '娜',
  '敏',
  '静',
  '磊',
  '洋',
  '勇',
  '艳',
  '杰',
  '军',
  '涛',
  '明',
  '超',
  '霞',
  '平',
  '刚',
  '婷',
  '浩',
  '宇',
];
const CITIES = ['北京', '上海', '深圳', '广州', '杭州', '成都', '武汉', '南京', '西安', '重庆'];
const TAGS = ['购买力强', '消费意愿强', '偏好家电', '偏好厨电', '偏好酒店住宿', '价格敏感', '投诉用户', '母婴人群'];
const CATEGORIES = ['fridge', 'washer', 'tv', 'kitchen', 'hotel', 'phone'];
const BRANDS = ['西门子', '海尔', '美的', '格力', '小米', '松下'];
const CHANNELS = ['app', 'douyin', 'wechat', 'web'];

const now = DateTime.now().setZone('Asia/Shanghai').startOf('hour');
const ago = (hours: number) => now.minus({ minutes: Math.round(hours * 60) }).toFormat('yyyy-MM-dd HH:mm:ss');

const db = new Database(target);
db.pragma('journal_mode = DELETE');
db.exec(`
  CREATE TABLE dim_user (user_id INTEGER PRIMARY KEY, name TEXT, phone TEXT, gender TEXT, age INTEGER, city TEXT, income INTEGER, value_tier TEXT, register_time TEXT);
  CREATE TABLE user_segment (user_id INTEGER, dimension TEXT, segment TEXT, PRIMARY KEY (user_id, dimension));
  CREATE TABLE user_tag (user_id INTEGER, tag TEXT, PRIMARY KEY (user_id, tag));
  CREATE TABLE dim_item (item_id INTEGER PRIMARY KEY, item_name TEXT, brand TEXT, category TEXT, price REAL);
  CREATE TABLE events (user_id INTEGER, event_name TEXT, event_time TEXT, item_id INTEGER, duration_s INTEGER, channel TEXT, amount REAL);
  CREATE TABLE orders (order_id INTEGER PRIMARY KEY, user_id INTEGER, category TEXT, amount REAL, paid_at TEXT);
  CREATE INDEX events_name_time ON events (event_name, event_time);
  CREATE INDEX events_user_time ON events (user_id, event_time);
  CREATE INDEX orders_user_paid ON orders (user_id, paid_at);
  CREATE TABLE user_channel_binding (user_id INTEGER, channel TEXT, address TEXT, status TEXT, bound_at TEXT, PRIMARY KEY (user_id, channel));
  CREATE TABLE user_opt_out (user_id INTEGER, channel TEXT, opted_out_at TEXT);
  CREATE INDEX user_opt_out_user ON user_opt_out (user_id);
`);

const insert = {
  user: db.prepare('INSERT INTO dim_user VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)'),
  segment: db.prepare('INSERT INTO user_segment VALUES (?, ?, ?)'),
  tag: db.prepare('INSERT INTO user_tag VALUES (?, ?)'),
  item: db.prepare('INSERT INTO dim_item VALUES (?, ?, ?, ?, ?)'),
  event: db.prepare('INSERT INTO events VALUES (?, ?, ?, ?, ?, ?, ?)'),
  order: db.prepare('INSERT INTO orders (user_id, category, amount, paid_at) VALUES (?, ?, ?, ?)'),
  binding: db.prepare('INSERT INTO user_channel_binding VALUES (?, ?, ?, ?, ?)'),
  optOut: db.prepare('INSERT INTO user_opt_out VALUES (?, ?, ?)'),
};

db.transaction(() => {
  const items: { id: number; category: string; price: number }[] = [];
  for (let id = 1; id <= 300; id++) {
    const category = pick(CATEGORIES);
    const brand = pick(BRANDS);
    const price = category === 'fridge' ? between(1999, 15999) : between(99, 8999);
    items.push({ id, category, price });
    insert.item.run(id, `${brand}${category === 'fridge' ? '冰箱' : category} ${id}`, brand, category, price);
  }
  for (let id = 100001; id < 100001 + USERS; id++) {
    const income = between(3000, 60000);
    const tier = income > 40000 ? 'top' : income > 25000 ? 'high' : income > 10000 ? 'mid' : 'low';
    // Some people left no phone or a blank one: they are unreachable for outbound calls.
    const phone =
      random() < 0.06
        ? random() < 0.5
          ? null
          : ''
        : `1${pick(['38', '39', '58', '86', '88'])}${String(between(0, 99999999)).padStart(8, '0')}`;
    insert.user.run(
      id,
      pick(SURNAMES) + pick(GIVEN) + (random() < 0.5 ? pick(GIVEN) : ''),
      phone,
      pick(['M', 'F']),
      between(18, 65),
      pick(CITIES),
      income,
      tier,
      ago(between(24 * 30, 24 * 900)),
    );
    insert.segment.run(id, 'value_tier', tier);
    insert.segment.run(id, 'lifecycle', pick(['new', 'active', 'silent', 'churned']));
    for (const tag of TAGS) if (random() < (tag === '投诉用户' ? 0.05 : 0.3)) insert.tag.run(id, tag);
    for (let n = between(0, 12); n > 0; n--) {
      const item = pick(items);
      const hours = random() * 72;
      insert.event.run(id, 'view_item', ago(hours), item.id, between(5, 300), pick(CHANNELS), null);
      if (random() < 0.3) insert.event.run(id, 'add_cart', ago(hours - 0.2), item.id, null, pick(CHANNELS), null);
      if (random() < 0.1)
        insert.event.run(id, 'pay_order', ago(hours - 0.3), item.id, null, pick(CHANNELS), item.price);
    }
    if (random() < 0.25) insert.order.run(id, pick(CATEGORIES), between(99, 15999), ago(random() * 24 * 60));
  }
})();
db.transaction(() => {
  channelBindings();
  seedScenarios();
})();
db.pragma(`user_version = ${DEMO_VERSION}`);
db.close();
console.error(
  `built ${target}: ${USERS} demo users with segments, tags, events, orders, channel bindings and opt-outs`,
);

// 各平台渠道绑定的用户ID与退订 / the ids each person has bound on each channel, and opt-outs
// (issue 12): SMS and calls go to the phone, WeCom to an external_userid (some since unbound),
// app push to a device token, WeChat to an openid. A few people opted out of SMS or WeCom, a
// few of everything ('*', or a NULL channel as some CRMs write it).
function channelBindings(): void {
  random = generator(20240412);
  const people = db.prepare('SELECT user_id, phone FROM dim_user ORDER BY user_id').all() as {
    user_id: number;
    phone: string | null;
  }[];
  const hex = () =>
    Math.floor(random() * 0xffffffff)
      .toString(16)
      .padStart(8, '0');
  for (const { user_id: id, phone } of people) {
    const bind = (channel: string, address: string, status = 'bound') =>
      insert.binding.run(id, channel, address, status, ago(between(24, 24 * 400)));
    if (phone) {
      bind('sms', phone);
      if (random() < 0.8) bind('outbound_call', phone);
    }
    if (random() < 0.45) bind('wecom', `wm${hex()}${hex()}`, random() < 0.12 ? 'unbound' : 'bound');
    if (random() < 0.55) bind('app_push', `tok_${hex()}${hex()}${hex()}`);
    if (random() < 0.3) bind('wechat', `oX${hex()}${hex()}`);
    const opt = random();
    if (opt < 0.04) insert.optOut.run(id, 'sms', ago(between(1, 24 * 200)));
    else if (opt < 0.06) insert.optOut.run(id, 'wecom', ago(between(1, 24 * 200)));
    else if (opt < 0.07) insert.optOut.run(id, '*', ago(between(1, 24 * 200)));
    else if (opt < 0.075) insert.optOut.run(id, null, ago(between(1, 24 * 200)));
  }
}

// The people of the seed sentences, so that each job in jobs/ finds some on the demo (its
// windows measured back from the hour the demo is built):
// - 高净值酒店常客: 30 hotel orders over 2,000 yuan in the last 30 days (jobs/hotel-high-net-worth.yaml):
//   HOTEL_REGULARS get 30 to 36 such orders; NEAR_MISSES get 29, plus orders of exactly 2,000
//   (not over 2,000) and orders older than 30 days, none of which count.
// - viewed a Siemens fridge and did not buy a *fridge* within 30 minutes
//   (jobs/fridge-deep-browse-not-paid.yaml): FRIDGE_THEN_OTHER paid for a washer 10 minutes
//   later (still leads: no fridge bought), FRIDGE_THEN_FRIDGE paid for a fridge 10 minutes later
//   (not leads).
// Every order here is older than 3.5 days and no fridge order is added, so the quick start and
// the hotel bookers' 3-day exclusion see exactly what they saw before.
function seedScenarios(): void {
  random = generator(20240413);
  // High-value people with a phone and no complaint, who had no hotel or fridge activity of their own.
  const FRIDGE_THEN_OTHER = [100004, 100008, 100019];
  const FRIDGE_THEN_FRIDGE = [100023, 100024];
  const HOTEL_REGULARS = [100027, 100032, 100040, 100043, 100045, 100046, 100050, 100052];
  const NEAR_MISSES = [100066, 100070, 100072];
  const hotelOrder = (id: number, amount: number, hours: number) => insert.order.run(id, 'hotel', amount, ago(hours));
  const inWindow = () => 24 * 3.5 + random() * 24 * 26; // 3.5 to 29.5 days ago
  for (const id of HOTEL_REGULARS) {
    for (let n = between(30, 36); n > 0; n--) hotelOrder(id, between(2001, 9800), inWindow());
  }
  for (const id of NEAR_MISSES) {
    for (let n = 29; n > 0; n--) hotelOrder(id, between(2001, 9800), inWindow());
    hotelOrder(id, 2000, inWindow()); // exactly 2,000: not over 2,000
    hotelOrder(id, between(2001, 9800), 24 * 31); // 31 days ago: outside the 30 days
  }
  const fridge = 37; // 西门子冰箱 37, 11,463 yuan
  const otherFridge = 189; // 西门子冰箱 189
  const washer = 7;
  const view = (id: number, hours: number) => insert.event.run(id, 'view_item', ago(hours), fridge, 150, 'app', null);
  const pay = (id: number, item: number, price: number, hours: number) =>
    insert.event.run(id, 'pay_order', ago(hours), item, null, 'app', price);
  for (const id of FRIDGE_THEN_OTHER) {
    view(id, 3);
    pay(id, washer, 1840, 3 - 10 / 60);
  }
  for (const id of FRIDGE_THEN_FRIDGE) {
    view(id, 3);
    pay(id, otherFridge, 7847, 3 - 10 / 60);
  }
}
