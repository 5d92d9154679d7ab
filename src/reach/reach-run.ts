// The reach step joined to one run (issue 12): reads what it needs before the stream (the caps'
// delivery history from the ledger, opt-outs on another connection), hands over held leads that
// are due, filters the stream's leads, routes destinations by channel, and keeps the run's
// touches in step with what the destinations acknowledged.
import type { Connections } from '../config/load-connections.ts';
import type { Job } from '../config/load-job.ts';
import type { DestinationSpec } from '../config/job-schema.ts';
import type { Destination, Lead } from '../destinations/destination.ts';
import type { Plan } from '../plan/plan.ts';
import type { FilterCounts, LeadFilter } from '../run/lead-filter.ts';
import type { StateStore } from '../state/state-store.ts';
import { markTouches, settleTouches, type Touch, type TouchScope } from '../state/touches.ts';
import type { Row } from '../warehouses/warehouse.ts';
import type { Warehouse } from '../warehouses/warehouse.ts';
import { loadDeliveryHistory } from './caps.ts';
import { routeByChannel } from './channel-route.ts';
import { loadOptOutsElsewhere, type OptOuts } from './consent-elsewhere.ts';
import { heldLeadsToDeliver } from './held-leads.ts';
import { emptyReachCounts, ReachStep, type Candidate, type ReachCounts } from './reach-step.ts';

export type RunCounts = FilterCounts & Partial<ReachCounts>;

export interface ReachRunOptions {
  plan: Plan;
  runId: string;
  connections: Connections;
  /** The ledger (read and written); undefined in a dry run. */
  store?: StateStore;
  /** A dry run: the caps' history from an existing ledger, read only. */
  readHistory?: <T>(fn: (store: StateStore | undefined) => Promise<T>) => Promise<T>;
  counts: FilterCounts;
  limit?: number;
  /** Wall clock, epoch ms (tests pin it): the time of delivery is at + (clock() - start). */
  clock?: () => number;
  /**
   * Wall clock (epoch ms) when the run fixed its `at`, before anything else: another job's
   * delivery with a later `at` counts against this run if it was claimed after this moment
   * (they ran alongside). Taken any later, a fast concurrent run whose `at` is one second later
   * could finish before it and be missed (touches.ts). Default: now.
   */
  startedMs?: number;
  /** Conversions on another connection (the held leads are checked against them too). */
  convertedElsewhere?: ReadonlySet<string>;
}

export interface ReachRun {
  readonly counts: ReachCounts;
  /** Wraps the stream filter: the reach step after require and converted, the limit after both. */
  filter(base: LeadFilter): { counts: RunCounts; take(rows: Row[]): Promise<{ leads: Lead[]; done: boolean }> };
  /** Held leads that are due now, with their channel and address. */
  heldLeads(warehouse: Warehouse): Promise<Lead[]>;
  route(destinations: Destination[], specs: readonly DestinationSpec[]): Destination[];
  /**
   * Leads of the last batches held when they were handed to the destinations (their channel
   * turned quiet after it was chosen), since the last call: the pipeline does not count them as leads.
   */
  takeHeldAtDelivery(): number;
  onAcknowledged(leads: readonly Lead[], pending: boolean): Promise<void>;
  settle(outcome: 'ok' | 'failed'): Promise<void>;
}

export async function prepareReach(o: ReachRunOptions): Promise<ReachRun> {
  const job: Job = o.plan.job;
  const reach = o.plan.reach!;
  const at = o.plan.at;
  const clock = o.clock ?? Date.now;
  const startedClock = clock();
  const scope: TouchScope = { job: job.name, runId: o.runId, atMs: at.epochMs, startedMs: o.startedMs ?? Date.now() };
  const rules = job.exclude.delivered ?? [];
  const capCtx = { job: job.name, atMs: at.epochMs, timezone: at.timezone, rules };
  let history = new Map<string, Touch[]>();
  if (rules.length > 0) {
    if (o.store) history = await loadDeliveryHistory(o.store, capCtx);
    else if (o.readHistory) history = await o.readHistory(async (s) => (s ? loadDeliveryHistory(s, capCtx) : history));
  }
  const optOutsElsewhere: OptOuts | undefined = reach.consentElsewhere
    ? await loadOptOutsElsewhere(job, at, o.connections)
    : undefined;
  const counts = Object.assign(o.counts, emptyReachCounts()) as FilterCounts & ReachCounts;
  const deliveryTime = () => at.epochMs + (clock() - startedClock);
  const step = new ReachStep({
    job,
    reach,
    fieldCount: o.plan.header.length,
    scope,
    timezone: job.timezone,
    store: o.store,
    preview: o.store === undefined,
    history,
    optOutsElsewhere,
    limit: o.limit,
    deliveryTime,
    counts,
    onLegacyCooldown: () => counts.delivered++,
  });
  return {
    counts,
    filter: (base) => ({
      counts,
      async take(rows) {
        const { leads } = base.take(rows);
        return step.take(leads as Candidate[]);
      },
    }),
    async heldLeads(warehouse) {
      if (!o.store || !job.quiet_hours) return [];
      const due = await heldLeadsToDeliver({
        job,
        store: o.store,
        warehouse,
        now: deliveryTime(),
        counts,
        convertedElsewhere: o.convertedElsewhere,
        optOutsElsewhere,
        consentInWarehouse: reach.optOutAt !== undefined,
        convertedInWarehouse: o.plan.convertedInWarehouse,
      });
      return step.takeHeld(due.deliver, due.skip);
    },
    route: (destinations, specs) =>
      destinations.map((d, i) =>
        routeByChannel(d, {
          channels: specs[i]?.channels,
          carryChannel: reach.carryChannel,
          atDelivery: (leads) => step.atDelivery(leads),
        }),
      ),
    takeHeldAtDelivery: () => step.takeHeldAtDelivery(),
    async onAcknowledged(leads, pending) {
      if (!step.claims || leads.length === 0) return;
      const pairs = leads.map((l) => ({ key: l.key, channel: l.channel ?? '' }));
      await markTouches(o.store!, scope, pairs, pending ? 'pending' : 'sent');
    },
    async settle(outcome) {
      if (step.claims) await settleTouches(o.store!, o.runId, outcome);
    },
  };
}
