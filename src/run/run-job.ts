// The pipeline of one run: plan -> one warehouse query -> stream filters -> destinations.
// Returns a summary; throws typed errors. Prints nothing (the reporter is the CLI's).
import { randomBytes } from 'node:crypto';
import type { Writable } from 'node:stream';
import type { Lead } from '../destinations/destination.ts';
import { createDestinations } from '../destinations/open-destinations.ts';
import { RunError } from '../errors.ts';
import { planJob, type Plan, type Shard } from '../plan/plan.ts';
import { resolveRunTime, type RunTime } from '../plan/time.ts';
import { renderForDialect } from '../sql/render.ts';
import { dialectOf } from '../config/connection-schema.ts';
import type { Connections } from '../config/load-connections.ts';
import type { Job } from '../config/load-job.ts';
import { openWarehouse } from '../warehouses/open-warehouse.ts';
import type { Row, Warehouse } from '../warehouses/warehouse.ts';
import { loadConvertedKeys } from './converted-keys.ts';
import { type FollowUp, followUpLine, loadFollowUp } from './follow-up.ts';
import { funnel, type FunnelStep } from './funnel.ts';
import { leadFilter, type FilterCounts } from './lead-filter.ts';
import { explainUnknownNames } from './check-tables.ts';
import type { Reporter } from './reporter.ts';
import { beginRun, loadDeliveredKeys, withExistingLedger, type LedgerOptions, type RunLedger } from './run-ledger.ts';
import { TrackedDestinations, type OutputSummary } from './tracked-destinations.ts';
import { prepareReach, type ReachRun, type RunCounts } from '../reach/reach-run.ts';

export interface RunOptions {
  connections: Connections;
  reporter: Reporter;
  at?: string;
  /**
   * Replaces the job's destinations with one CSV ("-" for stdout). Such a run is a preview: it
   * reads the ledger for cooldowns but records nothing in it (no run, no lock, no deliveries),
   * so the next real run still delivers those leads; unless `record` is set.
   */
  csv?: string;
  /** With `csv`: record the run and its deliveries in the ledger like any run (`--record`). */
  record?: boolean;
  dryRun?: boolean;
  shard?: Shard;
  signal?: AbortSignal;
  stdout?: Writable;
  batchSize?: number;
  /** The run ledger: sqlite path, mysql:// or postgres:// URL (default $CRM_LEADS_STATE or .crm-leads/state.db). */
  state?: LedgerOptions['state'];
  /** An already open ledger (shared by a scheduler); not closed by the run. */
  stateStore?: LedgerOptions['stateStore'];
  /** Wait for another run of the same job to finish instead of failing with LockedError. */
  wait?: boolean;
  /** Wall clock in epoch ms (default Date.now): quiet hours are checked at at + the run's elapsed time. */
  clock?: () => number;
}

export interface RunSummary {
  job: string;
  run_id: string;
  at: string;
  /** --at named a local time that happens twice (clocks going back): which one the run took. */
  at_note?: string;
  status: 'ok' | 'partial' | 'failed' | 'dry_run';
  /** A --csv run without --record: nothing was recorded in the ledger. */
  preview?: true;
  leads: number;
  counts: RunCounts;
  funnel?: FunnelStep[];
  outputs: OutputSummary[];
  /** Leads a destination refused or never acknowledged (summed over destinations): exit 3. */
  not_delivered: number;
  seconds: number;
}

export function newRunId(at: RunTime): string {
  return `${at.local.replace(/[-: ]/g, '').slice(0, 15)}-${randomBytes(4).toString('hex')}`;
}

// Long: the run's order (plan, lock, stream-side sets, dry run or delivery, ledger end) and its one
// failure path read best in one place; each step is a helper (follow-ups: followUpFor).
export async function runJob(job: Job, options: RunOptions): Promise<RunSummary> {
  const started = Date.now();
  const at = resolveRunTime(options.at, job.timezone);
  const runId = newRunId(at);
  const source = options.connections.byName.get(job.source)!;
  // People already delivered are dropped in the stream, so a LIMIT must stay there too.
  const planOptions = {
    shard: options.shard,
    // A follow-up keeps only the delivered people, in the stream: LIMIT stays there too.
    streamFilters: job.exclude.delivered !== undefined || job.audience.follow_up !== undefined,
  };
  let plan = planJob(job, at, dialectOf(source), planOptions);
  let query = await renderForDialect(plan);
  const preview = options.csv !== undefined && !options.record && !options.dryRun;
  // The lock and the run record come first: a job locked by another run never queries.
  const ledger = options.dryRun || preview ? undefined : await beginRun(job, at, runId, options);
  const signal = ledger
    ? AbortSignal.any(options.signal ? [options.signal, ledger.lockLost] : [ledger.lockLost])
    : options.signal;
  let warehouse: Warehouse | undefined;
  let tracked: TrackedDestinations | undefined;
  let leadsCounted = 0;
  let counts: FilterCounts | undefined;
  let reach: ReachRun | undefined;
  let followUp: FollowUp | undefined;
  try {
    warehouse = await openWarehouse(job.source, source, { timezone: at.timezone, atMs: at.epochMs });
    const convertedKeys = await loadConvertedKeys(plan, options.connections, options.reporter);
    // A dry run or a preview reads an existing ledger only if the job has a cooldown, and never creates one.
    // With a reach step (channels, caps) the cooldown is one of its caps instead.
    const deliveredKeys = plan.reach
      ? undefined
      : ledger
        ? await loadDeliveredKeys(job, at, ledger.store)
        : job.exclude.delivered && (await withExistingLedger(options, (store) => loadDeliveredKeys(job, at, store)));
    followUp = job.audience.follow_up && (await followUpFor(job, at, ledger, warehouse, plan, options));
    if (followUp?.boundKeys || followUp?.merged) {
      // Few delivered people: the warehouse reads only them; many: it reads everyone in the
      // key order the stream merges them in (follow-up.ts).
      plan = planJob(job, at, plan.dialect, {
        ...planOptions,
        followUpKeys: followUp.boundKeys,
        followUpMerge: followUp.merged,
      });
      query = await renderForDialect(plan);
    }
    // The lead stream reads rows as selected (no key copied to the front): the filter knows keyAt.
    const leadQuery = { ...query, keyAt: undefined };
    const base = leadFilter({
      followUp: followUp && followUpFilter(job, followUp),
      fieldCount: plan.header.length,
      keyAt: query.keyAt,
      requireIndexes: job.lead.require.map((name) => plan.header.indexOf(name)),
      // A dry run reads every row so that require (and delivered) count everyone, not only the
      // people read before the limit was reached; the limit is applied to its count below.
      limit: options.dryRun || plan.reach ? undefined : job.lead.limit,
      convertedKeys,
      deliveredKeys,
    });
    reach =
      plan.reach &&
      (await prepareReach({
        plan,
        runId,
        connections: options.connections,
        store: ledger?.store,
        readHistory: (fn) => withExistingLedger(options, fn),
        counts: base.counts,
        limit: options.dryRun ? undefined : job.lead.limit,
        clock: options.clock,
        startedMs: started,
        convertedElsewhere: convertedKeys,
      }));
    const filter = reach ? reach.filter(base) : base;
    counts = filter.counts;
    const summary = (status: RunSummary['status'], outputs: OutputSummary[], steps?: FunnelStep[]): RunSummary => ({
      job: job.name,
      run_id: runId,
      at: at.iso,
      ...(at.note ? { at_note: at.note } : {}),
      status,
      leads: leadsCounted,
      counts: filter.counts,
      funnel: steps,
      ...(preview ? { preview: true as const } : {}),
      outputs,
      not_delivered: outputs.reduce((n, o) => n + o.failed, 0),
      seconds: (Date.now() - started) / 1000,
    });
    if (options.dryRun) {
      const steps = await funnel(plan, warehouse, signal);
      for await (const rows of warehouse.stream(leadQuery, { batchSize: options.batchSize, signal })) {
        const { leads, done } = await filter.take(rows);
        leadsCounted += leads.length;
        if (done) break;
      }
      leadsCounted = Math.min(leadsCounted, job.lead.limit ?? Infinity);
      return summary('dry_run', [], [...steps, ...streamSteps(plan, filter.counts, leadsCounted)]);
    }
    const specs = options.csv
      ? [{ type: 'csv' as const, path: options.csv, mode: 'replace' as const, bom: options.csv !== '-' }]
      : job.destinations;
    if (specs.length === 0) throw new RunError(`${job.name}: no destinations (add one to the job or pass --csv PATH)`);
    const destinations = await createDestinations(specs, options.connections, options.stdout);
    tracked = new TrackedDestinations(
      reach ? reach.route(destinations, specs) : destinations,
      ledger && { store: ledger.store, atMs: at.epochMs, onAcknowledged: reach?.onAcknowledged },
    );
    const outputs = await deliver(
      plan,
      warehouse,
      leadQuery,
      tracked,
      filter,
      { ...options, signal, runId, runTime: at, reach },
      (n) => (leadsCounted += n),
    );
    await reach?.settle('ok');
    const result = summary(outputs.some((o) => o.failed > 0) ? 'partial' : 'ok', outputs);
    await ledger?.end(ledgerEnd(result.status === 'partial' ? 'partial' : 'ok', result.leads, result.counts, outputs));
    return result;
  } catch (caught) {
    // An unknown table or column is reported at the job key that names it, not the SQL alias.
    const err = await explainUnknownNames(job, options.connections, caught);
    // A user's Ctrl-C (or the scheduler's shutdown) is an interruption; anything else a failure.
    const status = options.signal?.aborted ? 'interrupted' : 'failed';
    await reach?.settle('failed').catch(() => {});
    await ledger
      ?.end({
        ...ledgerEnd(status, leadsCounted, counts ?? {}, tracked?.outputsSoFar() ?? []),
        error: (err as Error)?.message ?? String(err),
      })
      .catch(() => {});
    throw err;
  } finally {
    followUp?.close();
    await warehouse?.close();
    await ledger?.close();
  }
}

/** audience.follow_up: the first touch's deliveries (and responses), from the run's ledger or, in a dry run, an existing one. */
async function followUpFor(
  job: Job,
  at: RunTime,
  ledger: RunLedger | undefined,
  warehouse: Warehouse,
  plan: Plan,
  options: RunOptions,
): Promise<FollowUp> {
  const followUp = ledger
    ? await loadFollowUp(job, at, ledger.store, warehouse, plan.dialect)
    : await withExistingLedger(options, (store) => loadFollowUp(job, at, store, warehouse, plan.dialect));
  options.reporter.info(followUpLine(job, followUp), { job: job.name, follow_up: followUp.delivered });
  return followUp;
}

/** The lead filter's follow-up rule: the match, and where follow_up.delivered_at / .channel go. */
function followUpFilter(job: Job, followUp: FollowUp) {
  return {
    match: followUp.match,
    deliveredAtIndex: job.lead.fields.findIndex((f) => f.column === 'follow_up.delivered_at'),
    channelIndex: job.lead.fields.findIndex((f) => f.column === 'follow_up.channel'),
  };
}

function ledgerEnd(
  status: 'ok' | 'partial' | 'failed' | 'interrupted',
  leads: number,
  counts: object,
  outputs: OutputSummary[],
) {
  const delivered = outputs.reduce((n, o) => n + o.delivered, 0);
  const notDelivered = outputs.reduce((n, o) => n + o.failed, 0);
  return { status, leads, delivered, notDelivered, counts: { ...counts } as Record<string, unknown>, outputs };
}

async function deliver(
  plan: Plan,
  warehouse: Warehouse,
  query: Awaited<ReturnType<typeof renderForDialect>>,
  destinations: TrackedDestinations,
  filter: {
    counts: FilterCounts;
    take(rows: Row[]): { leads: Lead[]; done: boolean } | Promise<{ leads: Lead[]; done: boolean }>;
  },
  options: RunOptions & { runId: string; runTime: RunTime; reach?: ReachRun },
  onLeads: (n: number) => void,
): Promise<OutputSummary[]> {
  const ctx = {
    job: plan.job.name,
    runId: options.runId,
    at: options.runTime,
    fields: plan.header,
    // One channel for the whole run (the batch's channel in a webhook); per lead with a fallback list.
    channel: plan.job.lead.channel?.length === 1 ? plan.job.lead.channel[0] : undefined,
    keyName: plan.job.audience.key,
  };
  const started = Date.now();
  let leads = 0;
  try {
    await destinations.open(ctx);
    // Leads held in quiet hours that are due now go first.
    const held = options.reach ? await options.reach.heldLeads(warehouse) : [];
    if (held.length > 0) await destinations.write(held);
    leads += held.length;
    onLeads(held.length);
    for await (const rows of warehouse.stream({ ...query }, { batchSize: options.batchSize, signal: options.signal })) {
      const { leads: batch, done } = await filter.take(rows);
      if (batch.length > 0) await destinations.write(batch as Lead[]);
      // Leads whose channel turned quiet before a destination was handed them were held instead.
      const sent = batch.length - (options.reach?.takeHeldAtDelivery() ?? 0);
      leads += sent;
      onLeads(sent);
      options.reporter.progress({
        job: plan.job.name,
        rows: filter.counts.rows,
        leads,
        elapsedMs: Date.now() - started,
      });
      if (done) break;
    }
  } catch (err) {
    await destinations.abort();
    throw err;
  }
  return destinations.finish();
}

function streamSteps(plan: Plan, counts: FilterCounts, leads: number): FunnelStep[] {
  const steps: FunnelStep[] = [];
  let remaining = counts.rows;
  const step = (rule: string, removed: number) => {
    remaining -= removed;
    steps.push({ rule, remaining });
  };
  if (plan.job.audience.follow_up) step('follow_up', counts.follow_up ?? 0);
  if (plan.job.exclude.converted && !plan.convertedInWarehouse) step('converted', counts.converted_elsewhere);
  if (counts.delivered > 0 || plan.job.exclude.delivered) step('delivered', counts.delivered);
  if (plan.job.lead.require.length) step('require', counts.unreachable);
  const reach = counts as RunCounts;
  if (plan.reach) {
    if (plan.job.contacts) step('no_address', reach.no_address ?? 0);
    if (plan.job.consent) step('opted_out', reach.opted_out ?? 0);
    if (plan.job.exclude.delivered?.some((r) => !r.legacy)) step('capped', reach.capped ?? 0);
    if (plan.job.quiet_hours) step('quiet_hours', reach.quiet_hours ?? 0);
  }
  if (plan.job.lead.limit !== undefined) steps.push({ rule: 'limit', remaining: leads });
  return steps;
}
