// 二次触达 (audience.follow_up, issue 13): only people a first-touch job delivered, optionally only
// those who reacted to it (responded) or did not (not_responded).
//
// The deliveries live in the state store, not the warehouse, so they meet the warehouse the way
// cross-connection conversions do (converted-keys.ts): the delivered keys with their times are
// read into memory, then
// - few people (at most BIND_LIMIT): their keys are also bound into the lead query (an IN list on
//   the audience key) and into the response query, so the warehouse reads only them;
// - many people: the lead query reads the whole audience and the stream keeps the delivered.
// Either way the stream decides the rule and fills follow_up.delivered_at / follow_up.channel.
//
// Responses: one query (src/sql/follow-up-response.ts) reads the response events from
// at - within up to at (keys bound when few); a person responded when an event lies in
// (delivered_at, delivered_at + W] and before at. not_responded needs no such event and
// delivered_at + W <= at: the wait is over, as for not_followed_by (an event exactly at `at`
// then counts: it lies in the wait, so that query reads up to `at` inclusive).
// delivered_at is the acknowledgement's wall-clock time, truncated to the second and written as
// a naive local time in the job's timezone, as warehouse times are.
import { DateTime } from 'luxon';
import type { Job } from '../config/load-job.ts';
import type { Dialect } from '../config/connection-schema.ts';
import { NAIVE_FORMAT, type RunTime, windowStart } from '../plan/time.ts';
import { type BoundKey, followUpResponseQuery } from '../sql/follow-up-response.ts';
import { LatestDeliveries, latestDeliveries, type LatestDelivery } from '../state/deliveries.ts';
import type { StateStore } from '../state/state-store.ts';
import type { Warehouse } from '../warehouses/warehouse.ts';
import { count } from '../plural.ts';

/**
 * The most keys bound into a query. Oracle allows at most 1,000 expressions in an IN list
 * (ORA-01795); every driver's parameter limit is far above it (SQLite 32,766, MySQL and
 * PostgreSQL 65,535). Above it the keys are met in the stream.
 */
export const BIND_LIMIT = 1000;

/** BIND_LIMIT, or $CRM_LEADS_FOLLOW_UP_BIND_LIMIT (tests and benchmarks force either path with it). */
const bindLimit = () => Number(process.env.CRM_LEADS_FOLLOW_UP_BIND_LIMIT ?? BIND_LIMIT);

export interface FollowUp {
  /** [delivered_at (naive local), channel] when the person qualifies; undefined otherwise. */
  match(key: string): [string, string | null] | undefined;
  /** The delivered keys, when few enough to bind into the lead query; undefined when met in the stream. */
  boundKeys?: (string | number)[];
  /** People the first-touch job delivered in the window. */
  delivered: number;
  /** Of them, people with a response event (responded / not_responded only). */
  responders?: number;
}

/** Whole seconds of a naive 'YYYY-MM-DD HH:MM:SS[.fff]' text, read as UTC: for comparing naive times. */
export function naiveSeconds(text: string): number {
  return Math.floor(Date.parse(`${text.replace(' ', 'T')}Z`) / 1000);
}

/** A delivered person's key as bound: digits up to 15 long (a double holds them exactly) as a number, otherwise the text (MySQL would compare a text with an integer column as doubles). */
const keyValue = (key: string): BoundKey => (/^-?\d{1,15}$/.test(key) ? Number(key) : key);

/** Reads the first-touch deliveries (and responses) for `job` at `at`. Throws RunError/driver errors as the warehouse does. */
export async function loadFollowUp(
  job: Job,
  at: RunTime,
  store: StateStore | undefined,
  warehouse: Warehouse,
  dialect: Dialect,
): Promise<FollowUp> {
  const fu = job.audience.follow_up!;
  // A dry run without a ledger yet: nobody was delivered.
  const latest = !store
    ? new LatestDeliveries()
    : await latestDeliveries(store, {
        job: fu.job,
        fromMs: windowStart(at, fu.within).epochMs,
        toMs: at.epochMs,
        channel: fu.channel,
      });
  const boundKeys = latest.size <= Math.min(bindLimit(), BIND_LIMIT) ? [...latest.keys()].map(keyValue) : undefined;
  const response = fu.responded ?? fu.not_responded;
  const local = (d: LatestDelivery) =>
    DateTime.fromMillis(Math.floor(d.ms / 1000) * 1000, { zone: at.timezone }).toFormat(NAIVE_FORMAT);
  const atSeconds = naiveSeconds(at.local);
  if (!response)
    return {
      delivered: latest.size,
      boundKeys,
      match: (key) => {
        const d = latest.get(key);
        return d && [local(d), d.channel];
      },
    };
  const responders = new Set<string>();
  const query = await followUpResponseQuery(job, at, dialect, boundKeys);
  for await (const rows of warehouse.stream(query, { batchSize: 10000 }))
    for (const [rawKey, rawTime] of rows) {
      const key = String(rawKey);
      const d = latest.get(key);
      if (!d || responders.has(key)) continue;
      const t = naiveSeconds(String(rawTime));
      const delivered = naiveSeconds(local(d));
      if (t > delivered && t <= delivered + response.within) responders.add(key);
    }
  return {
    delivered: latest.size,
    responders: responders.size,
    boundKeys,
    match: (key) => {
      const d = latest.get(key);
      if (!d) return undefined;
      const deliveredAt = local(d);
      if (fu.responded) return responders.has(key) ? [deliveredAt, d.channel] : undefined;
      // not_responded: the wait is over (delivered_at + W <= at) and nothing came in it.
      if (responders.has(key) || naiveSeconds(deliveredAt) + response.within > atSeconds) return undefined;
      return [deliveredAt, d.channel];
    },
  };
}

/** The log line of a follow-up: how many people the first touch reached, and how they met the warehouse. */
export function followUpLine(job: Job, f: FollowUp): string {
  const fu = job.audience.follow_up!;
  const how = f.boundKeys ? 'bound into the query' : 'met in the stream';
  const responses = f.responders === undefined ? '' : `, ${f.responders} of them responded`;
  return `${job.name}: ${count(f.delivered, 'person')} delivered by ${fu.job} in the window${responses} (${how})`;
}
