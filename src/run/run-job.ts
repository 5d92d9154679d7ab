// The pipeline of one run: plan -> one warehouse query -> stream filters -> destinations.
// Returns a summary; throws typed errors. Prints nothing (the reporter is the CLI's).
import { randomBytes } from 'node:crypto';
import type { Writable } from 'node:stream';
import type { Destination, DestinationSummary, Lead } from '../destinations/destination.ts';
import { createDestinations } from '../destinations/open-destinations.ts';
import { RunError } from '../errors.ts';
import { planJob, type Plan, type Shard } from '../plan/plan.ts';
import { resolveRunTime, type RunTime } from '../plan/time.ts';
import { renderForDialect } from '../sql/render.ts';
import { dialectOf } from '../spec/connection-schema.ts';
import type { Connections } from '../spec/load-connections.ts';
import type { Job } from '../spec/load-job.ts';
import { openWarehouse, type Warehouse } from '../warehouses/warehouse.ts';
import { loadConvertedKeys } from './converted-keys.ts';
import { funnel, type FunnelStep } from './funnel.ts';
import { leadFilter, type FilterCounts } from './lead-filter.ts';
import type { Reporter } from './reporter.ts';

export interface RunOptions {
  connections: Connections;
  reporter: Reporter;
  at?: string;
  /** Replaces the job's destinations with one CSV ("-" for stdout). */
  csv?: string;
  dryRun?: boolean;
  shard?: Shard;
  signal?: AbortSignal;
  stdout?: Writable;
  batchSize?: number;
}

export interface RunSummary {
  job: string;
  run_id: string;
  at: string;
  status: 'ok' | 'partial' | 'failed' | 'dry_run';
  leads: number;
  counts: FilterCounts;
  funnel?: FunnelStep[];
  outputs: DestinationSummary[];
  seconds: number;
}

export function newRunId(at: RunTime): string {
  return `${at.local.replace(/[-: ]/g, '').slice(0, 15)}-${randomBytes(4).toString('hex')}`;
}

export async function runJob(job: Job, options: RunOptions): Promise<RunSummary> {
  const started = Date.now();
  const at = resolveRunTime(options.at, job.timezone);
  const runId = newRunId(at);
  const source = options.connections.byName.get(job.source)!;
  const plan = planJob(job, at, dialectOf(source), { shard: options.shard });
  const query = await renderForDialect(plan);
  const warehouse = await openWarehouse(job.source, source);
  try {
    const convertedKeys = await loadConvertedKeys(plan, options.connections, options.reporter);
    const filter = leadFilter({
      fieldCount: plan.header.length,
      requireIndexes: job.lead.require.map((name) => plan.header.indexOf(name)),
      limit: job.lead.limit,
      convertedKeys,
    });
    const summary = (status: RunSummary['status'], outputs: DestinationSummary[], steps?: FunnelStep[]): RunSummary => ({
      job: job.name, run_id: runId, at: at.iso, status, leads: leadsCounted, counts: filter.counts, funnel: steps, outputs, seconds: (Date.now() - started) / 1000,
    });
    let leadsCounted = 0;
    if (options.dryRun) {
      const steps = await funnel(plan, warehouse);
      for await (const rows of warehouse.stream(query, { batchSize: options.batchSize, signal: options.signal })) {
        const { leads, done } = filter.take(rows);
        leadsCounted += leads.length;
        if (done) break;
      }
      return summary('dry_run', [], [...steps, ...streamSteps(plan, filter.counts, leadsCounted)]);
    }
    const specs = options.csv ? [{ type: 'csv' as const, path: options.csv, bom: options.csv !== '-' }] : job.destinations;
    if (specs.length === 0) throw new RunError(`${job.name}: no destinations (add one to the job or pass --csv PATH)`);
    const destinations = await createDestinations(specs, options.connections, options.stdout);
    const outputs = await deliver(plan, warehouse, query, destinations, filter, { ...options, runId, runTime: at }, (n) => (leadsCounted += n));
    const failed = outputs.reduce((n, o) => n + o.failed, 0);
    return summary(failed > 0 ? 'partial' : 'ok', outputs);
  } finally {
    await warehouse.close();
  }
}

async function deliver(
  plan: Plan, warehouse: Warehouse, query: Awaited<ReturnType<typeof renderForDialect>>, destinations: Destination[],
  filter: ReturnType<typeof leadFilter>, options: RunOptions & { runId: string; runTime: RunTime }, onLeads: (n: number) => void,
): Promise<DestinationSummary[]> {
  const ctx = { job: plan.job.name, runId: options.runId, at: options.runTime, fields: plan.header, channel: plan.job.lead.channel };
  const opened: Destination[] = [];
  const started = Date.now();
  let leads = 0;
  try {
    for (const d of destinations) {
      await d.open(ctx);
      opened.push(d);
    }
    for await (const rows of warehouse.stream({ ...query }, { batchSize: options.batchSize, signal: options.signal })) {
      const { leads: batch, done } = filter.take(rows);
      if (batch.length > 0) await Promise.all(opened.map((d) => d.write(batch as Lead[])));
      leads += batch.length;
      onLeads(batch.length);
      options.reporter.progress({ job: plan.job.name, rows: filter.counts.rows, leads, elapsedMs: Date.now() - started });
      if (done) break;
    }
  } catch (err) {
    await Promise.allSettled(opened.map((d) => d.close('failed')));
    throw err;
  }
  const outputs: DestinationSummary[] = [];
  for (const d of opened) outputs.push(await d.close('ok'));
  return outputs;
}

function streamSteps(plan: Plan, counts: FilterCounts, leads: number): FunnelStep[] {
  const steps: FunnelStep[] = [];
  let remaining = counts.rows;
  if (plan.job.exclude.converted && !plan.convertedInWarehouse) steps.push({ rule: 'converted', remaining: (remaining -= counts.converted_elsewhere) });
  if (counts.delivered > 0 || plan.job.exclude.delivered) steps.push({ rule: 'delivered', remaining: (remaining -= counts.delivered) });
  if (plan.job.lead.require.length) steps.push({ rule: 'require', remaining: (remaining -= counts.unreachable) });
  if (plan.job.lead.limit !== undefined) steps.push({ rule: 'limit', remaining: leads });
  return steps;
}
