// One tick of `crm-leads watch` for one job (issue 11): the run's pipeline asked for one slice.
// plan(job, slice) -> one warehouse query -> stream filters -> destinations -> one transaction
// that records the tick and moves the watermark. Prints nothing; throws typed errors, and then
// the watermark has not moved (the caller retries the same slice).
import type { Lead } from '../destinations/destination.ts';
import { createDestinations } from '../destinations/open-destinations.ts';
import { RunError } from '../errors.ts';
import { planJob } from '../plan/plan.ts';
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
import { TrackedDestinations, type OutputSummary } from '../run/tracked-destinations.ts';
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
}

/** The realtime settings of a job, defaults filled in (seconds). */
export function realtimeOf(job: Job): { every: number; lateness: number; start: number } {
  return { ...REALTIME_DEFAULTS, ...job.realtime };
}

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
  if (endMs <= options.watermarkMs) return summary('ok', 0, []);

  const tickJob: Job = {
    ...job,
    lead: {
      ...job.lead,
      fields: [...job.lead.fields, { name: TRIGGER_TIME_FIELD, column: `trigger.${trigger.time}` }],
    },
  };
  const source = options.connections.byName.get(job.source)!;
  const plan = planJob(tickJob, at, dialectOf(source), { slice, streamFilters: true });
  const query = await renderForDialect(plan);
  const fieldCount = job.lead.fields.length;
  const { store } = options;
  const destinations = await createDestinations(job.destinations, options.connections);
  const triggerTimes = new Map<string, string>();
  // What earlier ticks delivered for the trigger events this slice can decide.
  const sentWindow = { fromTime: naiveMinus(slice.from, maturityLookback(trigger)), toTime: slice.to };
  const ids = destinations.map((d) => new OnceDestination(d, new Set(), triggerTimes).id);
  const sent = await sentInSlice(store, job.name, ids, sentWindow);
  const once = destinations.map((d, i) => new OnceDestination(d, sent.get(ids[i])!, triggerTimes));
  const runId = newRunId(at);
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
    fieldCount: fieldCount + 1,
    requireIndexes: job.lead.require.map((name) => plan.header.indexOf(name)),
    limit: job.lead.limit,
    convertedKeys: await loadConvertedKeys(plan, options.connections, options.reporter),
    deliveredKeys: await loadDeliveredKeys(job, at, store),
  });
  let opened = false;
  let leads = 0;
  try {
    for await (const rows of options.warehouse.stream(query, {
      batchSize: options.batchSize,
      signal: options.signal,
    })) {
      const fresh = rows.filter((row) => {
        const everywhere = once.length > 0 && once.every((_, i) => sent.get(ids[i])!.has(rowKey(row, fieldCount)));
        if (everywhere) counts.already_sent++;
        return !everywhere;
      });
      const { leads: batch, done } = filter.take(fresh);
      if (batch.length > 0) {
        if (!opened) {
          await startRun(store, { id: runId, job: job.name, shard: WATCH_SHARD, at: at.iso, atMs: at.epochMs });
          await tracked.open(context(job, runId, at));
          opened = true;
        }
        await tracked.write(batch.map((lead) => stripTriggerTime(lead, triggerTimes)));
        leads += batch.length;
      }
      if (done) break;
    }
    // rows: every row the query gave, also those already sent everywhere by an earlier tick.
    Object.assign(counts, filter.counts, { rows: filter.counts.rows + counts.already_sent });
    if (!opened) {
      await commitTick(store, { job: job.name, watermark });
      return summary('ok', 0, []);
    }
    const outputs = await tracked.finish();
    const result = summary(outputs.some((o) => o.failed > 0) ? 'partial' : 'ok', leads, outputs, runId);
    await commitTick(store, { job: job.name, watermark, runId, runEnd: runEnd(result) });
    return result;
  } catch (err) {
    if (opened) {
      await tracked.abort();
      await commitRunFailure(store, runId, leads, counts, tracked, err, options.signal);
    } else await Promise.allSettled(destinations.map((d) => d.close('failed')));
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
  return { key: lead.key, values };
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
