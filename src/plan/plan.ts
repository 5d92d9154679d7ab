// Job -> Plan: what runs in the warehouse, what is left for the stream, and the time bounds.
// Pure: no connection, no I/O.
import type { Dialect } from '../config/connection-schema.ts';
import type { Job } from '../config/load-job.ts';
import { planReach, type ReachPlan } from './reach-plan.ts';
import { type RunTime, windowStart } from './time.ts';
import type { Lookback } from '../config/duration.ts';

export interface Window {
  /** inclusive */
  from: string;
  /** exclusive */
  to: string;
}

export interface Shard {
  index: number;
  count: number;
}

export interface Plan {
  job: Job;
  at: RunTime;
  dialect: Dialect;
  /** Output row layout of the warehouse query: the person key, then each lead field. */
  header: string[];
  /** Conversions from the same connection are a NOT EXISTS in the query; from another, a key set in the stream. */
  convertedInWarehouse: boolean;
  convertedWindow?: Window;
  triggerWindow?: Window;
  /** audience.follow_up with few delivered people: their keys, bound into the query (src/run/follow-up.ts). */
  followUpKeys?: (string | number | boolean)[];
  /**
   * audience.follow_up with many delivered people and no lead.order_by: the lead query comes in
   * the merge order of the person key (src/sql/key-order.ts), NULL keys dropped, for the
   * stream's merge join with the sorted delivered people (src/run/follow-up.ts).
   */
  followUpMerge?: boolean;
  /** One window per audience.behaviour entry, in order: [at - within, at). */
  behaviourWindows?: Window[];
  /** LIMIT goes into SQL only when nothing downstream can still drop a row. */
  pushLimit: boolean;
  shard?: Shard;
  /**
   * `watch`: the tick's slice of maturity time, [watermark, t - lateness) as naive local times.
   * The trigger then decides the A events that matured in it (src/sql/trigger-slice.ts) instead
   * of the As of [at - within, at).
   */
  slice?: Window;
  /** Channels, contacts and consent (issue 12); undefined when the job has no reach step. */
  reach?: ReachPlan;
}

export interface PlanOptions {
  /** Whether the stream will drop rows (already delivered people): then LIMIT stays in the stream. */
  streamFilters?: boolean;
  shard?: Shard;
  /** `watch`: the tick's slice of maturity time (see Plan.slice). */
  slice?: Window;
  /** audience.follow_up with few delivered people: their keys, bound into the query. */
  followUpKeys?: Plan['followUpKeys'];
  /** audience.follow_up with many delivered people: see Plan.followUpMerge. */
  followUpMerge?: boolean;
}

export function planJob(job: Job, at: RunTime, dialect: Dialect, options: PlanOptions = {}): Plan {
  const converted = job.exclude.converted;
  const convertedInWarehouse =
    converted !== undefined && (converted.source === undefined || converted.source === job.source);
  const reach = planReach(job, job.lead.fields.length);
  // The reach step drops people (no address, opted out, capped, held): the limit stays in the stream.
  const streamDrops =
    job.lead.require.length > 0 ||
    (converted !== undefined && !convertedInWarehouse) ||
    options.streamFilters === true ||
    (reach !== undefined && (job.contacts !== undefined || job.consent !== undefined || job.quiet_hours !== undefined));
  return {
    job,
    at,
    dialect,
    header: job.lead.fields.map((f) => f.name),
    convertedInWarehouse,
    convertedWindow: converted && backFrom(at, converted.within),
    triggerWindow: job.trigger && backFrom(at, job.trigger.within),
    behaviourWindows: job.audience.behaviour?.map((b) => backFrom(at, b.within)),
    pushLimit: job.lead.limit !== undefined && !streamDrops,
    shard: options.shard,
    followUpKeys: options.followUpKeys,
    followUpMerge: options.followUpMerge,
    slice: options.slice,
    reach,
  };
}

/** [at - back, at) as naive local bounds: s/m/h elapsed, d calendar days (plan/time.ts). */
export function backFrom(at: RunTime, back: Lookback): Window {
  return { from: windowStart(at, back).local, to: at.local };
}
