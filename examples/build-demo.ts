// Builds examples/demo.db, the embedded demo warehouse of the quick start: users with
// properties, segments (分群), tags (标签), items, behaviour events and orders. Seeded, so
// every machine gets the same people; times are relative to the day it is built, so that
// "the last 30 days" always has data. Runs from `npm ci` (prepare) and is skipped when the
// file exists (pass --force to rebuild).
import { existsSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { DateTime } from 'luxon';

const target = process.argv.find((a) => a.endsWith('.db')) ?? fileURLToPath(new URL('./demo.db', import.meta.url));
const force = process.argv.includes('--force');
const USERS = 5000;

if (existsSync(target) && !force) process.exit(0);
rmSync(target, { force: true });

// mulberry32: a small seeded generator, so every machine builds the same people.
let seed = 20240409;
const random = () => {
  seed = (seed + 0x6d2b79f5) | 0;
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
};
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
`);

const insert = {
  user: db.prepare('INSERT INTO dim_user VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)'),
  segment: db.prepare('INSERT INTO user_segment VALUES (?, ?, ?)'),
  tag: db.prepare('INSERT INTO user_tag VALUES (?, ?)'),
  item: db.prepare('INSERT INTO dim_item VALUES (?, ?, ?, ?, ?)'),
  event: db.prepare('INSERT INTO events VALUES (?, ?, ?, ?, ?, ?, ?)'),
  order: db.prepare('INSERT INTO orders (user_id, category, amount, paid_at) VALUES (?, ?, ?, ?)'),
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
db.close();
console.error(`built ${target}: ${USERS} demo users with segments, tags, events and orders`);
