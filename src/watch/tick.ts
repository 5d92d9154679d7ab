// One tick of `crm-leads watch` for one job (issue 11): the run's pipeline asked for one slice.
// plan(job, slice) -> one warehouse query -> stream filters -> reach step -> destinations -> one
// transaction that records the tick and moves the watermark. Prints nothing; throws typed
// errors, and then the watermark has not moved (the caller retries the same slice).
//
// The reach step (issue 12: contacts, consent, caps, quiet hours, a channel fallback) is wired
// as in run-job.ts: the same ReachRun filters the stream, routes the destinations by channel,
// marks touches as destinations acknowledge and settles them at the end; held leads that are
// due go first. A tick with a reach step records its run before the step claims anyone, so a
// restarted watcher can release the claims of a tick that died (watcher.ts).
import type { Destination, Lead } from '../destinations/destination.ts';
import { prepareReach, type ReachRun, type RunCounts } from '../reach/reach-run.ts';
import { createDestinations } from '../destinations/open-destinations.ts';
import { RunError } from '../errors.ts';
import { planJob, type Plan } from '../plan/plan.ts';
import { resolveRunTime, type RunTime } from '../plan/time.ts';
import { renderForDialect } from '../sql/render.ts';
import { dialectOf } from '../config/connection-schema.ts';
import type { Connections } from '../config/load-connections.ts';
import type { Job } from '../config/load-job.ts';
import { REALTIME_DEFAULTS } from '../config/job-schema.ts';
import { maturityLookback } from '../sql/trigger-slice.ts';
import { loadConvertedKeys } from '../run/converted-keys.ts';
import { leadFilter } from '../run/lead-filter.ts';
import type { Reporter } from '../run/reporter.ts';
import { loadDeliveredKeys } from '../run/run-ledger.ts';
import { newRunId } from '../run/run-job.ts';
import { destinationId, TrackedDestinations, type OutputSummary } from '../run/tracked-destinations.ts';
import { finishRun, startRun } from '../state/runs.ts';
import type { StateStore } from '../state/state-store.ts';
import { commitTick, recordSent, sentInSlice, sentKey, type Watermark } from '../state/watermarks.ts';
import { naiveMinus } from '../plan/time.ts';
import type { Row, Warehouse } from '../warehouses/warehouse.ts';
import { OnceDestination } from './once-destination.ts';

/** The run ledger's shard column for watch ticks: their run records, apart from `run`'s. */
export const WATCH_SHARD = 'watch';
// The trigger event's time rides along as one more lead field, removed before delivery.
const TRIGGER_TIME_FIELD = '__watch_trigger_time';

export interface TickOptions {
  connections: Connections;
  store: StateStore;
  /** An open warehouse of the job's source, kept by the watcher between ticks. */
  warehouse: Warehouse;
  reporter: Reporter;
  /** The tick's time t (Unix ms): the slice ends at t - lateness. */
  tickMs: number;
  /** Where the slice starts: the watermark (Unix ms). */
  watermarkMs: number;
  signal?: AbortSignal;
  batchSize?: number;
  /**
   * A tick that delivers nothing leaves its watermark to the caller (`committed: false`), who
   * writes it with a later tick's or with commitTick: with `every: 1s`, one ledger write per
   * tick would be most of watch's cost. Ticks that deliver always commit with their deliveries.
   */
  deferEmptyCommit?: boolean;
  /**
   * Read the job's held leads (quiet hours) and deliver those that are due, even when the slice
   * has no rows: the watcher sets it when a quiet period ended since its last tick (hold-check.ts).
   */
  checkHolds?: boolean;
}

export interface TickSummary {
  job: string;
  /** Set when the tick delivered (or tried to deliver) leads: its record in `crm-leads runs`. */
  run_id?: string;
  tick: string;
  /** The decided slice of maturity time, naive local [from, to). */
  slice: { from: string; to: string };
  status: 'ok' | 'partial';
  leads: number;
  /** The run's counts (with a reach step: no_address, opted_out, capped, quiet_hours, released, ...). */
  counts: RunCounts & { already_sent: number };
  outputs: OutputSummary[];
  not_delivered: number;
  watermark: Watermark;
  seconds: number;
  /** Whether the watermark is stored (see TickOptions.deferEmptyCommit). */
  committed?: boolean;
}

/** The realtime settings of a job, defaults filled in (seconds). */
export function realtimeOf(job: Job): { every: number; lateness: number; start: number } {
  return { ...REALTIME_DEFAULTS, ...job.realtime };
}

// Long: one tick's stream loop with its commit and failure paths reads best in one place, like runJob.
/** Decides the A events that matured in [watermark, t - lateness), delivers, moves the watermark. */
export async function runTick(job: Job, options: TickOptions): Promise<TickSummary> {
  const started = Date.now();
  const trigger = job.trigger;
  if (!trigger) throw new RunError(`${job.name}: watch needs a trigger (the behaviour event that makes a lead)`);
  const at = resolveRunTime(new Date(options.tickMs).toISOString(), job.timezone);
  const endMs = Math.max(options.watermarkMs, options.tickMs - realtimeOf(job).lateness * 1000);
  const slice = { from: localTime(options.watermarkMs, job), to: localTime(endMs, job) };
  const watermark = { ms: endMs, local: slice.to };
  const counts = { ...emptyCounts(), already_sent: 0 };
  const summary = (status: TickSummary['status'], leads: number, outputs: OutputSummary[], runId?: string) => ({
    job: job.name,
    run_id: runId,
    tick: at.iso,
    slice,
    status,
    leads,
    counts,
    outputs,
    not_delivered: outputs.reduce((n, o) => n + o.failed, 0),
    watermark,
    seconds: (Date.now() - started) / 1000,
  });
  if (endMs <= options.watermarkMs) return { ...summary('ok', 0, []), committed: true };

  const tickJob: Job = {
    ...job,
    lead: {
      ...job.lead,
      fields: [...job.lead.fields, { name: TRIGGER_TIME_FIELD, column: `trigger.${trigger.time}` }],
    },
  };
  const source = options.connections.byName.get(job.source)!;
  const plan = planJob(tickJob, at, dialectOf(source), { slice, streamFilters: true });
  // The watcher keeps its warehouse between ticks: each tick reads time at its own offset.
  await options.warehouse.setTimeZone?.({ timezone: job.timezone, atMs: at.epochMs });
  const query = await renderForDialect(plan);
  const fieldCount = job.lead.fields.length;
  const { store } = options;
  const runId = newRunId(at);
  // Most ticks read no row: the ledger and the destinations are touched only once one arrives
  // (or, with quiet hours, when held leads can be due).
  let d: Delivery | undefined;
  let recorded = false;
  let opened = false;
  let leads = 0;
  const prepare = async () => (d ??= await prepareDelivery(job, plan, at, runId, started, options));
  // The run record comes before the reach step claims people (see the top of this file).
  const begin = async () => {
    if (recorded) return;
    await startRun(store, { id: runId, job: job.name, shard: WATCH_SHARD, at: at.iso, atMs: at.epochMs });
    recorded = true;
  };
  const deliver = async (delivery: Delivery, batch: Lead[], fromStream: boolean) => {
    if (batch.length === 0) return;
    if (!opened) {
      await begin();
      await delivery.tracked.open({
        ...context(job, runId, at),
        triggerTimeOf: (lead) => delivery.triggerTimes.get(lead.key) ?? '',
      });
      opened = true;
    }
    await delivery.tracked.write(batch.map((lead) => stripTriggerTime(lead, fieldCount, delivery.triggerTimes)));
    // Stream leads whose channel turned quiet before a destination was handed them were held instead.
    leads += batch.length - (fromStream ? (delivery.reach?.takeHeldAtDelivery() ?? 0) : 0);
  };
  try {
    if (options.checkHolds && plan.reach && job.quiet_hours) {
      const delivery = await prepare();
      await begin();
      // Leads held in quiet hours that are due now go first, as in run.
      await deliver(delivery, await delivery.reach!.heldLeads(options.warehouse), false);
    }
    for await (const rows of options.warehouse.stream(query, {
      batchSize: options.batchSize,
      signal: options.signal,
    })) {
      if (rows.length === 0) continue;
      const delivery = await prepare();
      const fresh = rows.filter((row) => {
        const decided = delivery.alreadySent(rowKey(row, fieldCount));
        if (decided) counts.already_sent++;
        return !decided;
      });
      if (fresh.length > 0 && delivery.reach) await begin();
      const { leads: batch, done } = await delivery.filter.take(fresh);
      await deliver(delivery, batch, true);
      if (done) break;
    }
    // rows: every row the query gave, also those already sent by an earlier tick.
    if (d) Object.assign(counts, d.filter.counts, { rows: d.filter.counts.rows + counts.already_sent });
    const outputs = opened ? await d!.tracked.finish() : [];
    if (!opened && d) await Promise.allSettled(d.destinations.map((x) => x.close('ok')));
    // Claims never acknowledged are released (a lead skipped as already sent, or one refused).
    await d?.reach?.settle('ok');
    if (!recorded) {
      // A tick that delivered nothing: its watermark may be written later, with another's.
      if (!options.deferEmptyCommit) await commitTick(store, { job: job.name, watermark });
      return { ...summary('ok', 0, []), committed: !options.deferEmptyCommit };
    }
    const result = summary(outputs.some((o) => o.failed > 0) ? 'partial' : 'ok', leads, outputs, runId);
    await commitTick(store, { job: job.name, watermark, runId, runEnd: runEnd(result) });
    return { ...result, committed: true };
  } catch (err) {
    if (opened) await d!.tracked.abort();
    else if (d) await Promise.allSettled(d.destinations.map((x) => x.close('failed')));
    await d?.reach?.settle('failed').catch(() => {});
    if (recorded) await commitRunFailure(store, runId, leads, counts, d?.tracked, err, options.signal);
    throw err;
  }
}

type Taken = { leads: Lead[]; done: boolean };

interface Delivery {
  destinations: Destination[];
  /** Whether the (person, trigger time) of a row was delivered by an earlier tick: it is not decided again. */
  alreadySent(key: string): boolean;
  tracked: TrackedDestinations;
  filter: { counts: RunCounts; take(rows: Row[]): Taken | Promise<Taken> };
  /** The reach step, when the job has one (channels, contacts, consent, caps, quiet hours). */
  reach?: ReachRun;
  /** The trigger event time of each lead of this tick, by person key. */
  triggerTimes: Map<string, string>;
}

/** The stream side of a tick: filters and the reach step (as in run), the sent keys, the destinations. */
async function prepareDelivery(
  job: Job,
  plan: Plan,
  at: RunTime,
  runId: string,
  startedMs: number,
  options: TickOptions,
): Promise<Delivery> {
  const { store } = options;
  const trigger = job.trigger!;
  // A batch that still fails transiently after its retries (receiver down) fails the tick, so
  // the watermark stays and the slice is retried; a 4xx is an answer: recorded as failed, as in run.
  const destinations = await createDestinations(job.destinations, options.connections, undefined, {
    webhook: { giveUpAfterBatches: 1 },
  });
  try {
    const triggerTimes = new Map<string, string>();
    // What earlier ticks delivered for the trigger events this slice can decide.
    const slice = plan.slice!;
    const sentWindow = { fromTime: naiveMinus(slice.from, maturityLookback(trigger)), toTime: slice.to };
    const ids = destinations.map((x) => destinationId(x));
    const sentBy = await sentInSlice(store, job.name, ids, sentWindow);
    const sent = ids.map((id) => sentBy.get(id)!);
    // Leads routed by channel go to some destinations only: one delivered anywhere was decided
    // (its channel chosen), and deciding it again could pick another channel (a cap reached by
    // that very delivery) and send it twice. Otherwise a lead is decided again until every
    // destination has it, and OnceDestination skips those that do.
    const routed = job.destinations.some((x) => x.channels !== undefined);
    const alreadySent = (key: string) =>
      sent.length > 0 && (routed ? sent.some((set) => set.has(key)) : sent.every((set) => set.has(key)));
    const convertedKeys = await loadConvertedKeys(plan, options.connections, options.reporter);
    const base = leadFilter({
      fieldCount: plan.header.length,
      requireIndexes: job.lead.require.map((name) => plan.header.indexOf(name)),
      // With a reach step the limit comes after it, and the cooldown is one of its caps (as in run).
      limit: plan.reach ? undefined : job.lead.limit,
      convertedKeys,
      deliveredKeys: plan.reach ? undefined : await loadDeliveredKeys(job, at, store),
    });
    const reach =
      plan.reach &&
      (await prepareReach({
        plan,
        runId,
        connections: options.connections,
        store,
        counts: base.counts,
        limit: job.lead.limit,
        startedMs,
        convertedElsewhere: convertedKeys,
      }));
    const routes = reach ? reach.route(destinations, job.destinations) : destinations;
    const once = routes.map((x, i) => new OnceDestination(x, sent[i], triggerTimes));
    const tracked = new TrackedDestinations(once, {
      store,
      atMs: at.epochMs,
      onDelivered: (trx, destination, leads) =>
        recordSent(
          trx,
          { job: job.name, destination, runId },
          leads.map((l) => ({ person: l.key, triggerTime: triggerTimes.get(l.key) ?? '' })),
        ),
      onAcknowledged: reach?.onAcknowledged,
    });
    return { destinations, alreadySent, tracked, filter: reach ? reach.filter(base) : base, reach, triggerTimes };
  } catch (err) {
    await Promise.allSettled(destinations.map((x) => x.close('failed')));
    throw err;
  }
}

function runEnd(s: TickSummary) {
  const delivered = s.outputs.reduce((n, o) => n + o.delivered, 0);
  return {
    status: s.status,
    leads: s.leads,
    delivered,
    notDelivered: s.not_delivered,
    counts: { ...s.counts, slice_from: s.slice.from, slice_to: s.slice.to },
    outputs: s.outputs,
  };
}

async function commitRunFailure(
  store: StateStore,
  runId: string,
  leads: number,
  counts: object,
  tracked: TrackedDestinations | undefined,
  err: unknown,
  signal?: AbortSignal,
): Promise<void> {
  const outputs = tracked?.outputsSoFar() ?? [];
  await finishRun(store, runId, {
    status: signal?.aborted ? 'interrupted' : 'failed',
    leads,
    delivered: outputs.reduce((n, o) => n + o.delivered, 0),
    notDelivered: outputs.reduce((n, o) => n + o.failed, 0),
    counts: { ...counts },
    outputs,
    error: (err as Error)?.message ?? String(err),
  }).catch(() => {});
}

function context(job: Job, runId: string, at: RunTime) {
  return {
    job: job.name,
    runId,
    at,
    fields: job.lead.fields.map((f) => f.name),
    // One channel for the whole tick (the batch's channel in a webhook); per lead with a fallback list.
    channel: job.lead.channel?.length === 1 ? job.lead.channel[0] : undefined,
    keyName: job.audience.key,
  };
}

/** The trigger time of a warehouse row, as the ledger keys it: naive 'YYYY-MM-DD HH:MM:SS'. */
function rowKey(row: unknown[], fieldCount: number): string {
  return sentKey(String(row[0]), naiveText(row[1 + fieldCount]));
}

// The trigger time is the field after the job's own: the reach step's channel and address
// (when the job carries them) come after it.
function stripTriggerTime(lead: Lead, fieldCount: number, times: Map<string, string>): Lead {
  const values = [...lead.values.slice(0, fieldCount), ...lead.values.slice(fieldCount + 1)];
  times.set(lead.key, naiveText(lead.values[fieldCount]));
  return { key: lead.key, keyValue: lead.keyValue, values, channel: lead.channel };
}

// Drivers give times as text ('2026-11-23 09:00:00', Hive '...00.0', ISO with a T) or Date.
function naiveText(v: unknown): string {
  if (v instanceof Date) return v.toISOString().slice(0, 19).replace('T', ' ');
  return String(v ?? '')
    .replace('T', ' ')
    .slice(0, 19);
}

function localTime(ms: number, job: Job): string {
  return resolveRunTime(new Date(ms).toISOString(), job.timezone).local;
}

function emptyCounts(): RunCounts {
  return { rows: 0, converted_elsewhere: 0, delivered: 0, unreachable: 0, limit_reached: false };
}
