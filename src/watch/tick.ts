// One tick of `crm-leads watch` for one job (issue 11): the run's pipeline asked for one slice.
// plan(job, slice) -> one warehouse query -> stream filters -> destinations -> one transaction
// that records the tick and moves the watermark. Prints nothing; throws typed errors, and then
// the watermark has not moved (the caller retries the same slice).
import type { Destination, Lead } from '../destinations/destination.ts';
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
import { leadFilter, type FilterCounts } from '../run/lead-filter.ts';
import type { Reporter } from '../run/reporter.ts';
import { loadDeliveredKeys } from '../run/run-ledger.ts';
import { newRunId } from '../run/run-job.ts';
import { destinationId, TrackedDestinations, type OutputSummary } from '../run/tracked-destinations.ts';
import { finishRun, startRun } from '../state/runs.ts';
import type { StateStore } from '../state/state-store.ts';
import { commitTick, recordSent, sentInSlice, sentKey, type Watermark } from '../state/watermarks.ts';
import { naiveMinus } from '../plan/time.ts';
import type { Warehouse } from '../warehouses/warehouse.ts';
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
  counts: FilterCounts & { already_sent: number };
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
  // Most ticks read no row: the ledger and the destinations are touched only once one arrives.
  let d: Delivery | undefined;
  let opened = false;
  let leads = 0;
  try {
    for await (const rows of options.warehouse.stream(query, {
      batchSize: options.batchSize,
      signal: options.signal,
    })) {
      if (rows.length === 0) continue;
      d ??= await prepareDelivery(job, plan, at, runId, options);
      const delivery = d;
      const fresh = rows.filter((row) => {
        const key = rowKey(row, fieldCount);
        const everywhere = delivery.sent.length > 0 && delivery.sent.every((set) => set.has(key));
        if (everywhere) counts.already_sent++;
        return !everywhere;
      });
      const { leads: batch, done } = delivery.filter.take(fresh);
      if (batch.length > 0) {
        if (!opened) {
          await startRun(store, { id: runId, job: job.name, shard: WATCH_SHARD, at: at.iso, atMs: at.epochMs });
          await delivery.tracked.open({
            ...context(job, runId, at),
            triggerTimeOf: (lead) => delivery.triggerTimes.get(lead.key) ?? '',
          });
          opened = true;
        }
        await delivery.tracked.write(batch.map((lead) => stripTriggerTime(lead, delivery.triggerTimes)));
        leads += batch.length;
      }
      if (done) break;
    }
    // rows: every row the query gave, also those already sent everywhere by an earlier tick.
    if (d) Object.assign(counts, d.filter.counts, { rows: d.filter.counts.rows + counts.already_sent });
    if (!opened) {
      // A tick that delivered nothing: its watermark may be written later, with another's.
      if (!options.deferEmptyCommit) await commitTick(store, { job: job.name, watermark });
      return { ...summary('ok', 0, []), committed: !options.deferEmptyCommit };
    }
    const outputs = await d!.tracked.finish();
    const result = summary(outputs.some((o) => o.failed > 0) ? 'partial' : 'ok', leads, outputs, runId);
    await commitTick(store, { job: job.name, watermark, runId, runEnd: runEnd(result) });
    return { ...result, committed: true };
  } catch (err) {
    if (opened) {
      await d!.tracked.abort();
      await commitRunFailure(store, runId, leads, counts, d!.tracked, err, options.signal);
    } else if (d) await Promise.allSettled(d.destinations.map((x) => x.close('failed')));
    throw err;
  }
}

interface Delivery {
  destinations: Destination[];
  /** Per destination: sentKey(person, trigger time) delivered there by earlier ticks. */
  sent: Set<string>[];
  tracked: TrackedDestinations;
  filter: ReturnType<typeof leadFilter>;
  /** The trigger event time of each lead of this tick, by person key. */
  triggerTimes: Map<string, string>;
}

/** The stream side of a tick: filters (as in run), the sent keys, the destinations. */
async function prepareDelivery(
  job: Job,
  plan: Plan,
  at: RunTime,
  runId: string,
  options: TickOptions,
): Promise<Delivery> {
  const { store } = options;
  const trigger = job.trigger!;
  // A batch that still fails transiently after its retries (receiver down) fails the tick, so
  // the watermark stays and the slice is retried; a 4xx is an answer: recorded as failed, as in run.
  const destinations = await createDestinations(job.destinations, options.connections, undefined, {
    webhook: { giveUpAfterBatches: 1 },
  });
  const triggerTimes = new Map<string, string>();
  // What earlier ticks delivered for the trigger events this slice can decide.
  const slice = plan.slice!;
  const sentWindow = { fromTime: naiveMinus(slice.from, maturityLookback(trigger)), toTime: slice.to };
  const ids = destinations.map((x) => destinationId(x));
  const sentBy = await sentInSlice(store, job.name, ids, sentWindow);
  const sent = ids.map((id) => sentBy.get(id)!);
  const once = destinations.map((x, i) => new OnceDestination(x, sent[i], triggerTimes));
  const tracked = new TrackedDestinations(once, {
    store,
    atMs: at.epochMs,
    onDelivered: (trx, destination, leads) =>
      recordSent(
        trx,
        { job: job.name, destination, runId },
        leads.map((l) => ({ person: l.key, triggerTime: triggerTimes.get(l.key)! })),
      ),
  });
  const filter = leadFilter({
    fieldCount: job.lead.fields.length + 1,
    requireIndexes: job.lead.require.map((name) => plan.header.indexOf(name)),
    limit: job.lead.limit,
    convertedKeys: await loadConvertedKeys(plan, options.connections, options.reporter),
    deliveredKeys: await loadDeliveredKeys(job, at, store),
  });
  return { destinations, sent, tracked, filter, triggerTimes };
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
  tracked: TrackedDestinations,
  err: unknown,
  signal?: AbortSignal,
): Promise<void> {
  const outputs = tracked.outputsSoFar();
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
    channel: job.lead.channel?.[0],
    keyName: job.audience.key,
  };
}

/** The trigger time of a warehouse row, as the ledger keys it: naive 'YYYY-MM-DD HH:MM:SS'. */
function rowKey(row: unknown[], fieldCount: number): string {
  return sentKey(String(row[0]), naiveText(row[1 + fieldCount]));
}

function stripTriggerTime(lead: Lead, times: Map<string, string>): Lead {
  const values = lead.values.slice(0, -1);
  times.set(lead.key, naiveText(lead.values[lead.values.length - 1]));
  return { key: lead.key, keyValue: lead.keyValue, values };
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

function emptyCounts(): FilterCounts {
  return { rows: 0, converted_elsewhere: 0, delivered: 0, unreachable: 0, limit_reached: false };
}
