// The response query of a follow-up (audience.follow_up.responded / not_responded, issue 13):
// the response events that may answer a first touch delivered in [at - follow_up.within, at).
// It only reads (key, time) pairs; whether an event answers a delivery (strictly after
// delivered_at, at most `within` later) is decided in the stream (src/run/follow-up.ts), since
// the delivery times live in the state store, not the warehouse.
import type { Dialect } from '../config/connection-schema.ts';
import type { Job } from '../config/load-job.ts';
import { type RunTime, windowStart } from '../plan/time.ts';
import { queryBuilder } from './knex-client.ts';
import { orderByKeyText } from './key-order.ts';
import { naiveTime } from './time-arithmetic.ts';
import { applyWhere, whereCompare } from './where.ts';

/** A delivered person's key as bound into the query: a number for integer keys, else the text. */
export type BoundKey = string | number;

/**
 * SQL of the response events of `job` (which must have follow_up with responded or
 * not_responded): `select r.<key>, r.<time> from <table> as r` where the event name matches,
 * the response's `where` holds, and the time lies in [at - follow_up.within, at) for
 * `responded`, [at - follow_up.within, at] for `not_responded` (an event exactly at `at` lies
 * in a wait that ends at `at`, so it still answers; see README "Follow-ups"). With `keys`, only
 * those people (an IN list on the key; at most BIND_LIMIT of them, src/run/follow-up.ts);
 * without, every person's events but a NULL key's, in the merge order of src/sql/key-order.ts.
 * Values are bindings, except on Hive, where they are written in as HiveQL literals
 * (HiveServer2 has no parameters) and `bindings` is empty. Throws when the job has no response rule.
 */
export async function followUpResponseQuery(
  job: Job,
  at: RunTime,
  dialect: Dialect,
  keys: readonly BoundKey[] | undefined,
): Promise<{ sql: string; bindings: unknown[] }> {
  const fu = job.audience.follow_up;
  const r = fu?.responded ?? fu?.not_responded;
  if (!fu || !r) throw new Error(`followUpResponseQuery: job ${job.name} has no follow_up response rule`);
  // HiveQL is compiled by knex's MySQL compiler with the values written in (src/sql/hive).
  const k = queryBuilder(dialect);
  const key = `r.${r.key ?? job.audience.key}`;
  const qb = whereCompare(k(`${r.table} as r`).select(key, `r.${r.time}`), `r.${r.name}`, '=', r.event)
    .where(`r.${r.time}`, '>=', naiveTime(k, dialect, windowStart(at, fu.within).local))
    .where(`r.${r.time}`, fu.not_responded ? '<=' : '<', naiveTime(k, dialect, at.local));
  applyWhere(qb, 'r', r.where);
  // Few people: only their events. Many: every event in the window, in the key order the
  // stream merges them in with the delivered people (src/sql/key-order.ts).
  if (keys) qb.whereIn(key, [...keys]);
  else orderByKeyText(qb, dialect, key);
  if (dialect === 'hive') return { sql: (await import('./hive/render-hive.ts')).renderHiveQL(qb), bindings: [] };
  const { sql, bindings } = qb.toSQL().toNative();
  return { sql, bindings: [...bindings] };
}
