// Held leads (quiet hours, issue 12) at the start of a run: older than quiet_hours.hold ->
// dropped as expired; still inside their channel's quiet hours -> stay held; the person
// converted or opted out since -> dropped; the rest are delivered by this run, before the
// stream's leads. Conversions and opt-outs are looked up in the warehouse for the held people
// only (small keyed queries on the job's connection), or in the key sets read from another one.
import type { Knex } from 'knex';
import { DateTime } from 'luxon';
import type { Job } from '../config/load-job.ts';
import { NAIVE_FORMAT } from '../plan/time.ts';
import { deleteHolds, listHolds, type HeldLead } from '../state/holds.ts';
import type { StateStore } from '../state/state-store.ts';
import { queryBuilder } from '../sql/knex-client.ts';
import { ALL_CHANNELS } from '../sql/reach-columns.ts';
import { naiveTime } from '../sql/time-arithmetic.ts';
import { applyWhere } from '../sql/where.ts';
import type { Warehouse } from '../warehouses/warehouse.ts';
import { optedOut, type OptOuts } from './consent-elsewhere.ts';
import { isQuiet } from './quiet-hours.ts';
import type { ReachCounts } from './reach-step.ts';

export interface HeldCheck {
  job: Job;
  store: StateStore;
  warehouse: Warehouse;
  /** Epoch ms: the time of delivery. */
  now: number;
  counts: ReachCounts;
  convertedElsewhere?: ReadonlySet<string>;
  optOutsElsewhere?: OptOuts;
  /** consent (or converted) lives on the job's connection: look the held people up there. */
  consentInWarehouse: boolean;
  convertedInWarehouse: boolean;
}

const KEYS_PER_QUERY = 500;

export interface HeldOutcome {
  /** Delivered by this run. */
  deliver: HeldLead[];
  /** People the stream must not count again: still held, or dropped for a conversion or an opt-out. */
  skip: string[];
}

/** The job's held leads that this run delivers; the others are dropped, counted, or stay held. */
export async function heldLeadsToDeliver(c: HeldCheck): Promise<HeldOutcome> {
  const quiet = c.job.quiet_hours;
  const held = await listHolds(c.store, c.job.name);
  if (held.length === 0) return { deliver: [], skip: [] };
  const hold = (quiet?.hold ?? 0) * 1000;
  const expired = held.filter((h) => c.now - h.heldAtMs > hold);
  c.counts.expired += expired.length;
  const live = held.filter((h) => c.now - h.heldAtMs <= hold);
  const due: HeldLead[] = [];
  const skip: string[] = [];
  for (const h of live) {
    if (isQuiet(quiet?.channels, h.channel, c.now, c.job.timezone)) {
      c.counts.quiet_hours++;
      skip.push(h.key);
    } else due.push(h);
  }
  const converted = await convertedSince(c, due);
  const opted = await optedOutNow(c, due);
  const deliver: HeldLead[] = [];
  for (const h of due) {
    if (converted.has(h.key) || c.convertedElsewhere?.has(h.key)) c.counts.converted_while_held++;
    else if (opted.has(`${h.channel}\n${h.key}`) || optedOut(c.optOutsElsewhere, h.key, h.channel))
      c.counts.opted_out++;
    else deliver.push(h);
    skip.push(h.key);
  }
  c.counts.released += deliver.length;
  // Delivered (or dropped) now: a held lead is handed on at most once. An expired one is no
  // longer held: if the person is still in the audience, the stream makes a new lead of them.
  await deleteHolds(
    c.store,
    c.job.name,
    [...expired, ...due].map((h) => h.key),
  );
  return { deliver, skip };
}

const local = (ms: number, zone: string) => DateTime.fromMillis(ms, { zone }).toFormat(NAIVE_FORMAT);

// Keys with a conversion in [held at, now): one keyed query per distinct hold time.
async function convertedSince(c: HeldCheck, due: HeldLead[]): Promise<Set<string>> {
  const rule = c.job.exclude.converted;
  const out = new Set<string>();
  if (!rule || !c.convertedInWarehouse || due.length === 0) return out;
  const key = rule.key ?? c.job.audience.key;
  for (const [heldAt, group] of groupBy(due, (h) => String(h.heldAtMs)))
    await keysWhere(c, group, out, (k, qb) => {
      qb.from(`${rule.table} as c`)
        .distinct(`c.${key}`)
        .where(`c.${rule.time}`, '>=', naiveTime(k, c.warehouse.dialect, local(Number(heldAt), c.job.timezone)))
        .where(`c.${rule.time}`, '<', naiveTime(k, c.warehouse.dialect, local(c.now, c.job.timezone)));
      applyWhere(qb, 'c', rule.where);
      return `c.${key}`;
    });
  return out;
}

// "channel\nkey" of held people opted out of their channel (or of every channel) by now.
async function optedOutNow(c: HeldCheck, due: HeldLead[]): Promise<Set<string>> {
  const consent = c.job.consent;
  const out = new Set<string>();
  if (!consent || !c.consentInWarehouse || due.length === 0) return out;
  const key = consent.key ?? c.job.audience.key;
  for (const [channel, group] of groupBy(due, (h) => h.channel)) {
    const keys = new Set<string>();
    await keysWhere(c, group, keys, (k, qb) => {
      const col = `o.${consent.channel}`;
      qb.from(`${consent.table} as o`)
        .distinct(`o.${key}`)
        .where(`o.${consent.time}`, '<=', naiveTime(k, c.warehouse.dialect, local(c.now, c.job.timezone)))
        .where((w) => w.whereIn(col, [channel, ALL_CHANNELS]).orWhereNull(col));
      applyWhere(qb, 'o', consent.where);
      return `o.${key}`;
    });
    for (const k of keys) out.add(`${channel}\n${k}`);
  }
  return out;
}

async function keysWhere(
  c: HeldCheck,
  group: HeldLead[],
  into: Set<string>,
  build: (k: Knex, qb: Knex.QueryBuilder) => string,
): Promise<void> {
  const dialect = c.warehouse.dialect;
  const k = queryBuilder(dialect);
  for (let i = 0; i < group.length; i += KEYS_PER_QUERY) {
    const qb = k.queryBuilder();
    const keyColumn = build(k, qb);
    qb.whereIn(
      keyColumn,
      group.slice(i, i + KEYS_PER_QUERY).map((h) => h.key),
    );
    const { sql, bindings } =
      dialect === 'hive'
        ? { sql: (await import('../sql/hive/render-hive.ts')).renderHiveQL(qb), bindings: [] }
        : qb.toSQL().toNative();
    for (const row of await c.warehouse.all({ sql, bindings: [...bindings] })) into.add(String(row[0]));
  }
}

function groupBy<T>(items: T[], keyOf: (t: T) => string): Map<string, T[]> {
  const by = new Map<string, T[]>();
  for (const item of items) {
    const list = by.get(keyOf(item)) ?? [];
    list.push(item);
    by.set(keyOf(item), list);
  }
  return by;
}
