// 二次触达 (audience.follow_up, issue 13): only people a first-touch job delivered, optionally only
// those who reacted to it (responded) or did not (not_responded).
//
// The deliveries live in the state store, not the warehouse. They are read batch row by batch
// row, and meet the warehouse in one of three ways:
// - few people (at most BIND_LIMIT): held in memory (LatestDeliveries) and their keys bound into
//   the lead query (an IN list on the audience key) and into the response query, so the
//   warehouse reads only them;
// - many people: moved to a private temporary SQLite database (DeliveredScratch), which sorts
//   them by key in bounded memory, and the whole audience is read by a merge join: the lead
//   query comes ordered by the key's text (src/sql/key-order.ts), and a cursor walks the sorted
//   people alongside it. Nothing grows with the people: memory stays flat at a million;
// - many people and a lead.order_by: the user's order decides which people lead.limit keeps, so
//   the lead query keeps it, and each row's key is looked up in the scratch database instead
//   (a primary-key lookup per row; still flat, a few µs a row slower than the merge).
// In every case the stream decides the rule and fills follow_up.delivered_at / follow_up.channel.
//
// Responses: one query (src/sql/follow-up-response.ts) reads the response events from
// at - within up to at (keys bound when few, ordered by key and merged with the sorted people
// when many); a person responded when an event lies in (delivered_at, delivered_at + W] and
// before at. not_responded needs no such event and delivered_at + W <= at: the wait is over,
// as for not_followed_by (an event exactly at `at` then counts: it lies in the wait, so that
// query reads up to `at` inclusive). Many people's responses are marked in the scratch database.
// delivered_at is the acknowledgement's wall-clock time, truncated to the second and written as
// a naive local time in the job's timezone, as warehouse times are.
import { DateTime } from 'luxon';
import type { Job } from '../config/load-job.ts';
import type { Dialect } from '../config/connection-schema.ts';
import { NAIVE_FORMAT, type RunTime, windowStart } from '../plan/time.ts';
import { type BoundKey, followUpResponseQuery } from '../sql/follow-up-response.ts';
import { deliveryBatches, LatestDeliveries, type LatestDelivery } from '../state/deliveries.ts';
import type { StateStore } from '../state/state-store.ts';
import type { Warehouse } from '../warehouses/warehouse.ts';
import { count } from '../plural.ts';
import { DeliveredScratch, type ScratchPerson } from './delivered-scratch.ts';

/**
 * The most keys bound into a query. Oracle allows at most 1,000 expressions in an IN list
 * (ORA-01795); every driver's parameter limit is far above it (SQLite 32,766, MySQL and
 * PostgreSQL 65,535). Above it the keys are met in the stream.
 */
export const BIND_LIMIT = 1000;

/** BIND_LIMIT, or $CRM_LEADS_FOLLOW_UP_BIND_LIMIT (tests and benchmarks force either path with it). */
const bindLimit = () => Math.min(Number(process.env.CRM_LEADS_FOLLOW_UP_BIND_LIMIT ?? BIND_LIMIT), BIND_LIMIT);

/** Responders marked in the scratch database per transaction. */
const MARK_BATCH = 10_000;

export interface FollowUp {
  /**
   * [delivered_at (naive local), channel] when the person qualifies; undefined otherwise.
   * With `merged`, keys must come in the merge order (src/sql/key-order.ts), repeats allowed;
   * a key out of order throws RunError.
   */
  match(key: string): [string, string | null] | undefined;
  /** The delivered keys, when few enough to bind into the lead query; undefined when met in the stream. */
  boundKeys?: (string | number)[];
  /** Many people, met by a merge join: the lead query must come in the merge order (plan option followUpMerge). */
  merged: boolean;
  /** People the first-touch job delivered in the window. */
  delivered: number;
  /** Of them, people with a response event (responded / not_responded only). */
  responders?: number;
  /** Releases the scratch database of many people (a no-op for few); may be called more than once. */
  close(): void;
}

/** Whole seconds of a naive 'YYYY-MM-DD HH:MM:SS[.fff]' text, read as UTC: for comparing naive times. */
export function naiveSeconds(text: string): number {
  return Math.floor(Date.parse(`${text.replace(' ', 'T')}Z`) / 1000);
}

/** A delivered person's key as bound: digits up to 15 long (a double holds them exactly) as a number, otherwise the text (MySQL would compare a text with an integer column as doubles). */
const keyValue = (key: string): BoundKey => (/^-?\d{1,15}$/.test(key) ? Number(key) : key);

/**
 * Reads the first-touch deliveries (and responses) for `job` at `at`. Many people leave a
 * scratch database open: the caller calls close() when the run ends. Throws RunError/driver
 * errors as the ledger and warehouse do.
 */
export async function loadFollowUp(
  job: Job,
  at: RunTime,
  store: StateStore | undefined,
  warehouse: Warehouse,
  dialect: Dialect,
): Promise<FollowUp> {
  const fu = job.audience.follow_up!;
  const limit = bindLimit();
  // A dry run without a ledger yet: nobody was delivered.
  let few: LatestDeliveries | undefined = new LatestDeliveries();
  let scratch: DeliveredScratch | undefined;
  try {
    if (store)
      for await (const { keys, delivery } of deliveryBatches(store, {
        job: fu.job,
        fromMs: windowStart(at, fu.within).epochMs,
        toMs: at.epochMs,
        channel: fu.channel,
      })) {
        if (scratch) scratch.add(keys, delivery.ms, delivery.channel);
        else {
          few!.add(keys, delivery);
          if (few!.size > limit) {
            // Too many to bind: from here on the people go to the scratch database.
            scratch = new DeliveredScratch();
            for (const b of few!.batchesWithKeys()) scratch.add(b.keys, b.delivery.ms, b.delivery.channel);
            few = undefined;
          }
        }
      }
    return scratch
      ? await manyPeople(job, at, scratch, warehouse, dialect)
      : await fewPeople(job, at, few!, warehouse, dialect);
  } catch (err) {
    scratch?.close();
    throw err;
  }
}

/** The decision shared by both paths: a delivered person qualifies, given whether they responded. */
function decide(job: Job, at: RunTime) {
  const fu = job.audience.follow_up!;
  const response = fu.responded ?? fu.not_responded;
  const atSeconds = naiveSeconds(at.local);
  // Many people share an acknowledgement (a batch): its local text is computed once.
  let lastMs: number | undefined;
  let lastText = '';
  const local = (ms: number) => {
    if (ms !== lastMs) {
      lastMs = ms;
      lastText = DateTime.fromMillis(Math.floor(ms / 1000) * 1000, { zone: at.timezone }).toFormat(NAIVE_FORMAT);
    }
    return lastText;
  };
  return {
    local,
    /** Whether an event at naive `eventTime` answers a delivery acknowledged at `ms`. */
    answers(ms: number, eventTime: unknown): boolean {
      const t = naiveSeconds(String(eventTime));
      const delivered = naiveSeconds(local(ms));
      return t > delivered && t <= delivered + response!.within;
    },
    qualifies(d: LatestDelivery, responded: boolean): [string, string | null] | undefined {
      const deliveredAt = local(d.ms);
      if (!response) return [deliveredAt, d.channel];
      if (fu.responded) return responded ? [deliveredAt, d.channel] : undefined;
      // not_responded: the wait is over (delivered_at + W <= at) and nothing came in it.
      if (responded || naiveSeconds(deliveredAt) + response.within > atSeconds) return undefined;
      return [deliveredAt, d.channel];
    },
  };
}

/** At most BIND_LIMIT people, held in memory: their keys are bound into the lead and response queries. */
async function fewPeople(
  job: Job,
  at: RunTime,
  latest: LatestDeliveries,
  warehouse: Warehouse,
  dialect: Dialect,
): Promise<FollowUp> {
  const fu = job.audience.follow_up!;
  const boundKeys = [...latest.keys()].map(keyValue);
  const rule = decide(job, at);
  const responders = new Set<string>();
  if (fu.responded ?? fu.not_responded) {
    const query = await followUpResponseQuery(job, at, dialect, boundKeys);
    for await (const rows of warehouse.stream(query, { batchSize: 10000 }))
      for (const [rawKey, rawTime] of rows) {
        const key = String(rawKey);
        const d = latest.get(key);
        if (d && !responders.has(key) && rule.answers(d.ms, rawTime)) responders.add(key);
      }
  }
  return {
    delivered: latest.size,
    responders: fu.responded || fu.not_responded ? responders.size : undefined,
    boundKeys,
    merged: false,
    match: (key) => {
      const d = latest.get(key);
      return d && rule.qualifies(d, responders.has(key));
    },
    close: () => {},
  };
}

/**
 * More than BIND_LIMIT people, sorted in the scratch database: responses are merged with them
 * in key order, and the lead rows meet them by a merge join, or by a lookup per row when
 * lead.order_by decides the rows' order.
 */
async function manyPeople(
  job: Job,
  at: RunTime,
  scratch: DeliveredScratch,
  warehouse: Warehouse,
  dialect: Dialect,
): Promise<FollowUp> {
  const fu = job.audience.follow_up!;
  const delivered = scratch.finish();
  const rule = decide(job, at);
  let responders: number | undefined;
  const ruleName = fu.responded ? 'responded' : fu.not_responded ? 'not_responded' : undefined;
  if (ruleName) {
    responders = 0;
    // Ordered by key (no keys bound): merged with the sorted people.
    const query = await followUpResponseQuery(job, at, dialect, undefined);
    const cursor = scratch.cursor(`the response query (audience.follow_up.${ruleName})`);
    let answered: ScratchPerson[] = [];
    for await (const rows of warehouse.stream(query, { batchSize: 10000 })) {
      for (const [rawKey, rawTime] of rows) {
        const p = cursor.seek(String(rawKey));
        if (!p || p.responded === 1 || !rule.answers(p.ms, rawTime)) continue;
        p.responded = 1;
        answered.push(p);
      }
      // The cursor holds no statement open between pages: the marks can be written now.
      if (answered.length >= MARK_BATCH) {
        scratch.markResponded(answered);
        responders += answered.length;
        answered = [];
      }
    }
    scratch.markResponded(answered);
    responders += answered.length;
  }
  // A lead.order_by decides which people lead.limit keeps: the lead query keeps that order and
  // each row is looked up; otherwise the lead query comes in key order and is merged.
  const merged = Object.keys(job.lead.order_by ?? {}).length === 0;
  let find: (key: string) => ScratchPerson | undefined;
  if (merged) {
    const cursor = scratch.cursor('the lead query');
    find = (key) => cursor.seek(key);
  } else find = scratch.lookup();
  return {
    delivered,
    responders,
    merged,
    match: (key) => {
      const p = find(key);
      return p && rule.qualifies(p, p.responded === 1);
    },
    close: () => scratch.close(),
  };
}

/** The log line of a follow-up: how many people the first touch reached, and how they met the warehouse. */
export function followUpLine(job: Job, f: FollowUp): string {
  const fu = job.audience.follow_up!;
  const how = f.boundKeys
    ? 'bound into the query'
    : f.merged
      ? 'met in the stream'
      : 'met in the stream, looked up by key: lead.order_by sets the order';
  const responses = f.responders === undefined ? '' : `, ${f.responders} of them responded`;
  return `${job.name}: ${count(f.delivered, 'person')} delivered by ${fu.job} in the window${responses} (${how})`;
}
