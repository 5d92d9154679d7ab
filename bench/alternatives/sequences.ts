// The hand-written alternatives of the sequence benchmark: what a SQL developer writes for the
// two scenarios with window functions, reading the window's events once. Values are written in
// (this is hand-written SQL for one job). Each returns user_id, phone, event_time, item_id of
// the latest qualifying view per person, as crm-leads' query does.
//
// followed_by (view -> add_cart within 1h -> checkout with amount > 0 within 1h): working back
// from the last step, each row gets the earliest later qualifying step (a running MIN over the
// following rows of the same person); rows of a later step sort first among equal times, so
// an event at the same instant never counts as "after".
// not_followed_by (fridge viewed, no pay_order within 30 min): the earliest later payment of
// the same person; the view qualifies when there is none within 30 minutes.
export type SqlDialect = 'mysql' | 'postgres';

const FROM = '2026-11-22 09:00:00';
const AT = '2026-11-23 09:00:00';
const WAIT_OVER = '2026-11-23 08:30:00';

const plus = (d: SqlDialect, column: string, seconds: number) =>
  d === 'mysql' ? `${column} + INTERVAL ${seconds} SECOND` : `${column} + INTERVAL '${seconds} seconds'`;
const ts = (d: SqlDialect, text: string) => (d === 'mysql' ? `'${text}'` : `TIMESTAMP '${text}'`);
const nullsLast = (d: SqlDialect) => (d === 'postgres' ? ' NULLS LAST' : '');
const FOLLOWING =
  'PARTITION BY user_id ORDER BY event_time, step DESC ROWS BETWEEN 1 FOLLOWING AND UNBOUNDED FOLLOWING';

const latest = (inner: string) => `SELECT a.user_id, a.phone, lt.event_time, lt.item_id
FROM dim_user a
JOIN (${inner}) lt ON lt.user_id = a.user_id AND lt.rn = 1
WHERE a.value_tier IN ('high', 'top')`;

const rank = (d: SqlDialect) =>
  `ROW_NUMBER() OVER (PARTITION BY user_id ORDER BY event_time DESC${nullsLast(d)}, item_id DESC${nullsLast(d)}) AS rn`;

export function followedBy(d: SqlDialect): string {
  const window = `event_time >= ${ts(d, FROM)} AND event_time < ${ts(d, AT)}`;
  return latest(
    `SELECT user_id, event_time, item_id, ${rank(d)}
  FROM (SELECT user_id, event_time, item_id, step, MIN(CASE WHEN step = 1 THEN event_time END) OVER (${FOLLOWING}) AS nx
        FROM (SELECT user_id, event_time, item_id, step, MIN(CASE WHEN step = 2 THEN event_time END) OVER (${FOLLOWING}) AS nx
              FROM (SELECT user_id, event_time, item_id, 0 AS step FROM events WHERE event_name = 'view_item' AND ${window}
                    UNION ALL
                    SELECT user_id, event_time, item_id, 1 FROM events WHERE event_name = 'add_cart' AND ${window}
                    UNION ALL
                    SELECT user_id, event_time, item_id, 2 FROM events WHERE event_name = 'checkout' AND amount > 0 AND ${window}) e) s2
        WHERE step = 0 OR (step = 1 AND nx <= ${plus(d, 'event_time', 3600)})) s1
  WHERE step = 0 AND nx <= ${plus(d, 'event_time', 3600)}`,
  );
}

export function notFollowedBy(d: SqlDialect): string {
  return latest(
    `SELECT user_id, event_time, item_id, ${rank(d)}
  FROM (SELECT user_id, event_time, item_id, step, MIN(CASE WHEN step = 1 THEN event_time END) OVER (${FOLLOWING}) AS nx
        FROM (SELECT e.user_id, e.event_time, e.item_id, 0 AS step
              FROM events e JOIN dim_item i ON i.item_id = e.item_id
              WHERE e.event_name = 'view_item' AND e.event_time >= ${ts(d, FROM)} AND e.event_time <= ${ts(d, WAIT_OVER)}
                AND e.duration_s >= 60 AND e.channel IN ('app', 'douyin')
                AND i.brand = '西门子' AND i.category = 'fridge' AND i.price > 5000
              UNION ALL
              SELECT user_id, event_time, item_id, 1 FROM events
              WHERE event_name = 'pay_order' AND event_time > ${ts(d, FROM)} AND event_time <= ${ts(d, AT)}) e) b
  WHERE step = 0 AND (nx IS NULL OR nx > ${plus(d, 'event_time', 1800)})`,
  );
}
