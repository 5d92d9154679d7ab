// Frequency caps (exclude.delivered rules, issue 12): a person with `max` or more deliveries in
// [at - within, at) that match the rule's scope (this job or every job) and channel is capped
// on the channels the rule covers. A delivery is one run reaching the person (several
// destinations of one run count once). The history is the ledger's deliveries read at the
// start of the run, plus the touches of other runs read after claiming (see state/touches.ts):
// those include runs in flight right now, whatever their at.
import type { DeliveredRule } from '../config/reach-schema.ts';
import { windowStartMs } from '../plan/time.ts';
import { TABLES } from '../state/schema.ts';
import type { StateStore } from '../state/state-store.ts';
import type { Touch } from '../state/touches.ts';

export interface CapContext {
  job: string;
  atMs: number;
  /** The job's timezone: a rule written in days counts calendar days in it. */
  timezone: string;
  rules: readonly DeliveredRule[];
}

/** The rule that caps this person on `channel`, if any. Touches must be deduplicated by run. */
export function cappingRule(
  ctx: CapContext,
  channel: string | undefined,
  touches: readonly Touch[],
): DeliveredRule | undefined {
  for (const rule of ctx.rules) {
    if (rule.channel !== undefined && rule.channel !== channel) continue;
    const fromMs = windowStartMs(ctx.atMs, ctx.timezone, rule.within);
    const runs = new Set<string>();
    for (const t of touches) {
      if (rule.scope === 'job' && t.job !== ctx.job) continue;
      if (rule.channel !== undefined && t.channel !== rule.channel) continue;
      if (!t.inFlight && t.atMs < fromMs) continue;
      runs.add(t.runId);
    }
    if (runs.size >= rule.max) return rule;
  }
  return undefined;
}

/** The earliest logical time any rule looks back to (epoch ms). */
export function historyStart(ctx: CapContext): number {
  return Math.min(...ctx.rules.map((r) => windowStartMs(ctx.atMs, ctx.timezone, r.within)));
}

/**
 * Deliveries in the ledger of logical time [start, at) per person (and other jobs' at `at` itself), for the rules' scope: every
 * job when a rule has scope all, else this job only. Memory: one small entry per delivered
 * person and run in the window.
 */
export async function loadDeliveryHistory(store: StateStore, ctx: CapContext): Promise<Map<string, Touch[]>> {
  const q = store
    .knex(TABLES.deliveries)
    .select('job', 'run_id', 'channel', 'at_ms', 'person_keys')
    .where('at_ms', '>=', historyStart(ctx))
    .andWhere('at_ms', '<=', ctx.atMs)
    .andWhere({ pending: false });
  if (ctx.rules.every((r) => r.scope === 'job')) q.andWhere({ job: ctx.job });
  const history = new Map<string, Touch[]>();
  const seen = new Set<string>();
  for (const row of (await q) as {
    job: string;
    run_id: string;
    channel: string | null;
    at_ms: number | string;
    person_keys: string;
  }[]) {
    // Other jobs at the very same logical time count (they ran at the same moment); this job's
    // own earlier attempt at this at is a resumed run, not another delivery.
    if (Number(row.at_ms) === ctx.atMs && row.job === ctx.job) continue;
    const touch: Touch = {
      runId: row.run_id,
      job: row.job,
      channel: row.channel ?? '',
      atMs: Number(row.at_ms),
      inFlight: false,
    };
    const keys = row.person_keys.split('\n');
    for (let i = 1; i < keys.length - 1; i++) {
      // One touch per person, run and channel: a run's batches and destinations repeat them.
      const id = `${keys[i]}\n${row.run_id}\n${touch.channel}`;
      if (seen.has(id)) continue;
      seen.add(id);
      const list = history.get(keys[i]);
      if (list) list.push(touch);
      else history.set(keys[i], [touch]);
    }
  }
  return history;
}
