// `crm-leads demo respond`: the demo warehouse has no live app, so nobody can click a push that
// a first-touch job sent a minute ago. This writes those reactions: for a share of the people a
// job delivered to (its acknowledged deliveries in the state store), one behaviour event a
// little after their delivery, into the demo `events` table of the job's source. Then the
// second-touch jobs of jobs/ (follow_up.responded / not_responded) have people on the demo.
// The demo events table is (user_id, event_name, event_time, item_id, duration_s, channel,
// amount): examples/build-demo.ts. Prints nothing; returns what it wrote.
import { DateTime } from 'luxon';
import type { ConnectionSpec } from '../config/connection-schema.ts';
import type { Job } from '../config/load-job.ts';
import { NAIVE_FORMAT } from '../plan/time.ts';
import { tableKnex } from '../destinations/table-connection.ts';
import { deliveryBatches, LatestDeliveries } from '../state/deliveries.ts';
import type { StateStore } from '../state/state-store.ts';

export interface RespondOptions {
  /** The first-touch job whose deliveries are answered (its name and timezone). */
  job: Job;
  /** Its source connection, holding the demo `events` table. */
  connection: { name: string; spec: ConnectionSpec };
  store: StateStore;
  /** The event written (default click_push). */
  event: string;
  /** Seconds after the person's latest delivery (default 600). */
  afterSeconds: number;
  /** Percent of the delivered people who respond, 0-100, chosen by key order (default 30). */
  share: number;
  /** Deliveries acknowledged in the last `withinSeconds` count (default 3 days). */
  withinSeconds: number;
  /** Wall clock, epoch ms (default now). */
  nowMs?: number;
}

export interface RespondResult {
  delivered: number;
  responded: number;
  /** The latest event written, naive local time in the job's timezone. */
  lastEvent?: string;
}

/**
 * Writes one `event` row per responding person at their latest delivery + afterSeconds.
 * Everyone delivered is held in memory (a demo has thousands, not millions).
 * @throws RunError/driver errors from the state store or the warehouse.
 */
export async function demoRespond(o: RespondOptions): Promise<RespondResult> {
  const now = o.nowMs ?? Date.now();
  const latest = new LatestDeliveries();
  for await (const { keys, delivery } of deliveryBatches(o.store, {
    job: o.job.name,
    fromMs: now - o.withinSeconds * 1000,
    toMs: now + 1,
  }))
    latest.add(keys, delivery);
  // Numeric keys in numeric order, so "30%" picks the same people on every run.
  const keys = [...latest.keys()].sort((a, b) => Number(a) - Number(b) || (a < b ? -1 : a > b ? 1 : 0));
  const chosen = keys.filter((_, i) => Math.floor(((i + 1) * o.share) / 100) > Math.floor((i * o.share) / 100));
  const rows = chosen.map((key) => ({
    user_id: /^\d+$/.test(key) ? Number(key) : key,
    event_name: o.event,
    event_time: DateTime.fromMillis(latest.get(key)!.ms + o.afterSeconds * 1000, { zone: o.job.timezone })
      .startOf('second')
      .toFormat(NAIVE_FORMAT),
    channel: 'app',
  }));
  if (rows.length > 0) {
    const { knex } = tableKnex(o.connection.name, o.connection.spec);
    try {
      await knex.batchInsert('events', rows, 500);
    } finally {
      await knex.destroy();
    }
  }
  const lastEvent = rows
    .map((r) => r.event_time as string)
    .sort()
    .at(-1);
  return { delivered: keys.length, responded: rows.length, lastEvent };
}
