// The reach step (issue 12), between the stream and the destinations: per person, the first
// channel of lead.channel on which they have an address (contacts), have not opted out
// (consent) and are under every cap (exclude.delivered rules); that channel inside its quiet
// hours holds the lead instead. People left with no channel are counted by reason.
//
// Order of the rules for one person, channel by channel in fallback order:
//   address -> consent -> caps (ledger + other runs' claims) -> quiet hours (hold)
// Caps are made safe against concurrent runs by claiming before sending (state/touches.ts).
//
// Quiet hours are checked twice per lead: when its channel is chosen, and again when the lead
// is handed to a destination (atDelivery, called by the channel routing), against the clock at
// that moment. A run's stream batch is delivered after it is decided, and a slow webhook can
// take minutes over it: a lead whose channel turned quiet meanwhile (a run crossing 21:00) is
// held then, not sent. The first destination to be handed a lead decides for every other one,
// so a lead is never sent to one destination and held from another.
import type { Job } from '../config/load-job.ts';
import type { Lead } from '../destinations/destination.ts';
import type { ReachPlan } from '../plan/reach-plan.ts';
import { storeHolds, type HeldLead } from '../state/holds.ts';
import type { StateStore } from '../state/state-store.ts';
import { claim, releaseClaims, touchesOfOthers, type Touch, type TouchScope } from '../state/touches.ts';
import { cappingRule, historyStart, type CapContext } from './caps.ts';
import { optedOut, type OptOuts } from './consent-elsewhere.ts';
import { isQuiet } from './quiet-hours.ts';

/** Why people did not become leads in this run, beyond the stream filters. */
export interface ReachCounts {
  no_address: number;
  opted_out: number;
  capped: number;
  /** Held: inside the channel's quiet hours (delivered by a later run). */
  quiet_hours: number;
  /** Held leads dropped because they were older than quiet_hours.hold. */
  expired: number;
  /** Held leads delivered by this run. */
  released: number;
  /** Held leads dropped because the person converted since. */
  converted_while_held: number;
}

export const emptyReachCounts = (): ReachCounts => ({
  no_address: 0,
  opted_out: 0,
  capped: 0,
  quiet_hours: 0,
  expired: 0,
  released: 0,
  converted_while_held: 0,
});

/** A lead from the stream with the query's reach columns (addresses, opt-out flags) after its fields. */
export interface Candidate extends Lead {
  extra?: unknown[];
}

export interface ReachStepOptions {
  job: Job;
  reach: ReachPlan;
  fieldCount: number;
  scope: TouchScope;
  timezone: string;
  /** The ledger; undefined in a dry run without one. */
  store?: StateStore;
  /** A dry run: count only; nothing is claimed or held. */
  preview: boolean;
  /** Deliveries in the caps' window, read at the start of the run. */
  history: Map<string, Touch[]>;
  optOutsElsewhere?: OptOuts;
  limit?: number;
  /** The time of delivery (epoch ms): the run's at plus the time the run has taken. */
  deliveryTime: () => number;
  /** Where the reasons are counted (the run's counts). */
  counts: ReachCounts;
  /** Called for each person dropped by an old-form cooldown rule only (the `delivered` counter). */
  onLegacyCooldown: () => void;
}

interface Choice {
  lead: Candidate;
  /** Channels still to try, in order, with their addresses. */
  options: { channel: string | undefined; address: unknown }[];
  cappedBy: ('legacy' | 'cap')[];
}

const isEmpty = (v: unknown) => v === null || v === undefined || (typeof v === 'string' && v.trim() === '');

export class ReachStep {
  private readonly counts: ReachCounts;
  private taken = 0;
  /** Held people this run delivered, dropped or still holds: the stream does not take them again. */
  private readonly seen = new Set<string>();
  private readonly others = new Map<string, Touch[]>();
  private readonly caps: CapContext;
  /** Whether this run writes claims (a ledger, not a dry run). */
  readonly claims: boolean;
  /** The current batch's stream leads, by key, until a destination is handed them: what a late hold needs. */
  private readonly undelivered = new Map<string, { lead: Candidate; channel: string | undefined; address: unknown }>();
  /** Per lead of the current batch: handed to the destinations (true) or held at delivery (false). */
  private readonly handed = new Map<string, boolean>();
  private heldLate = 0;

  constructor(private readonly o: ReachStepOptions) {
    this.counts = o.counts;
    this.caps = {
      job: o.job.name,
      atMs: o.scope.atMs,
      timezone: o.job.timezone,
      rules: o.job.exclude.delivered ?? [],
    };
    this.claims = o.store !== undefined && !o.preview;
  }

  /** Leads of this batch with their channel and address; `done` once lead.limit is reached. */
  async take(candidates: readonly Candidate[]): Promise<{ leads: Lead[]; done: boolean }> {
    // The previous batch has been handed to every destination (the pipeline awaits it).
    this.undelivered.clear();
    this.handed.clear();
    const out: Lead[] = [];
    let queue: Choice[] = [];
    for (const lead of candidates) {
      if (this.seen.has(lead.key)) continue;
      const choice = this.reachable(lead);
      if (choice) queue.push(choice);
    }
    let next = 0;
    while (next < queue.length && !this.full(out.length)) {
      const room = (this.o.limit ?? Infinity) - this.taken - out.length;
      const round = queue.slice(next, next + Math.min(room, queue.length - next));
      next += round.length;
      const retry = await this.assign(round, out);
      // People capped on their first choice by a concurrent run try their next channel.
      queue = [...queue.slice(0, next), ...retry, ...queue.slice(next)];
    }
    this.taken += out.length;
    return { leads: out, done: this.full(0) };
  }

  /** Held leads due now (see held-leads.ts): caps and claims as for any lead, on their held channel. */
  async takeHeld(held: readonly HeldLead[], skip: readonly string[] = []): Promise<Lead[]> {
    for (const key of skip) this.seen.add(key);
    const out: Lead[] = [];
    // The key as the warehouse gave it survives in the lead field of the key column, if any.
    const { fields } = this.o.job.lead;
    const keyField = fields.find((f) => f.column === this.o.job.audience.key)?.name;
    const choices: Choice[] = held.map((h) => ({
      lead: {
        key: h.key,
        keyValue: keyField === undefined ? undefined : h.fields[keyField],
        values: fields.map((f) => h.fields[f.name] ?? null),
      },
      options: [{ channel: h.channel, address: h.address }],
      cappedBy: [],
    }));
    // Released leads are delivered whatever lead.limit says: they were leads of an earlier run.
    const ready = choices.filter((c) => this.pickUncapped(c));
    const lost: Choice[] = [];
    for (const c of this.claims ? await this.claimAndVerify(ready, lost) : ready) out.push(this.toLead(c));
    this.counts.capped += lost.length;
    return out;
  }

  /**
   * The leads of `batch` that may go out now, as a destination is about to be handed them:
   * stream leads whose channel turned quiet since it was chosen are held instead (stored, their
   * claims released, counted in quiet_hours). Leads held earlier and released by this run pass.
   */
  async atDelivery(batch: readonly Lead[]): Promise<Lead[]> {
    const quiet = this.o.job.quiet_hours?.channels;
    if (!quiet || this.undelivered.size === 0) return [...batch];
    const out: Lead[] = [];
    const held: HeldLead[] = [];
    for (const lead of batch) {
      const decided = this.handed.get(lead.key);
      const pending = this.undelivered.get(lead.key);
      if (decided === false) continue;
      if (decided === true || !pending) {
        out.push(lead);
        continue;
      }
      const late = isQuiet(quiet, pending.channel, this.o.deliveryTime(), this.o.timezone);
      this.handed.set(lead.key, !late);
      if (!late) out.push(lead);
      else held.push(this.held(pending.lead, pending.channel!, pending.address));
    }
    this.counts.quiet_hours += held.length;
    this.heldLate += held.length;
    this.taken -= held.length; // lead.limit: later batches may fill their places
    if (held.length > 0 && this.claims) {
      await storeHolds(this.o.store!, held);
      await releaseClaims(
        this.o.store!,
        this.o.scope,
        held.map((h) => ({ key: h.key, channel: h.channel })),
      );
    }
    return out;
  }

  /** Leads held at delivery since the last call: taken before, so not leads of this run after all. */
  takeHeldAtDelivery(): number {
    const n = this.heldLate;
    this.heldLate = 0;
    return n;
  }

  private full(pending: number): boolean {
    return this.o.limit !== undefined && this.taken + pending >= this.o.limit;
  }

  /** Address and consent: the channels this person can be reached on, or a counted reason. */
  private reachable(lead: Candidate): Choice | undefined {
    const { reach, fieldCount } = this.o;
    const options: Choice['options'] = [];
    let hasAddress = false;
    let named = 0;
    for (const channel of reach.channels) {
      const i = channel === undefined ? -1 : named++;
      const address = reach.addressAt === undefined ? null : lead.extra?.[reach.addressAt - 1 - fieldCount + i];
      if (reach.addressAt !== undefined && isEmpty(address)) continue;
      hasAddress = true;
      const flag = reach.optOutAt === undefined ? 0 : lead.extra?.[reach.optOutAt - 1 - fieldCount + i];
      if (Number(flag ?? 0) > 0 || optedOut(this.o.optOutsElsewhere, lead.key, channel)) continue;
      options.push({ channel, address: address ?? null });
    }
    if (options.length > 0) return { lead, options, cappedBy: [] };
    if (hasAddress) this.counts.opted_out++;
    else this.counts.no_address++;
    return undefined;
  }

  /** Caps, quiet hours and claims for one round; returns people to try again on a later channel. */
  private async assign(round: Choice[], out: Lead[]): Promise<Choice[]> {
    const chosen: Choice[] = [];
    const held: HeldLead[] = [];
    for (const c of round) {
      if (!this.pickUncapped(c)) continue;
      const { channel, address } = c.options[0];
      if (isQuiet(this.o.job.quiet_hours?.channels, channel, this.o.deliveryTime(), this.o.timezone)) {
        this.counts.quiet_hours++;
        held.push(this.held(c.lead, channel!, address));
      } else chosen.push(c);
    }
    if (held.length > 0 && this.claims) await storeHolds(this.o.store!, held);
    const retry: Choice[] = [];
    const ok = this.claims ? await this.claimAndVerify(chosen, retry) : chosen;
    for (const c of ok) {
      out.push(this.toLead(c));
      this.undelivered.set(c.lead.key, { lead: c.lead, ...c.options[0] });
    }
    return retry;
  }

  /** Drops channels the person is capped on (ledger and known touches); false when none is left. */
  private pickUncapped(c: Choice): boolean {
    const touches = this.touchesOf(c.lead.key);
    while (c.options.length > 0) {
      const rule = cappingRule(this.caps, c.options[0].channel, touches);
      if (!rule) return true;
      c.cappedBy.push(rule.legacy ? 'legacy' : 'cap');
      c.options.shift();
    }
    if (c.cappedBy.every((r) => r === 'legacy')) this.o.onLegacyCooldown();
    else this.counts.capped++;
    return false;
  }

  private touchesOf(key: string): Touch[] {
    const history = this.o.history.get(key) ?? [];
    const others = this.others.get(key);
    return others ? [...history, ...others] : history;
  }

  // Claim first, then count what other runs claimed or sent: of two runs racing for a person,
  // the second to insert sees the first's claim, so they never both send past the cap.
  private async claimAndVerify(chosen: Choice[], retry: Choice[]): Promise<Choice[]> {
    if (chosen.length === 0) return [];
    const store = this.o.store!;
    const pairs = chosen.map((c) => ({ key: c.lead.key, channel: c.options[0].channel ?? '' }));
    await claim(store, this.o.scope, pairs);
    if (this.caps.rules.length === 0) return chosen;
    const others = await touchesOfOthers(
      store,
      this.o.scope,
      chosen.map((c) => c.lead.key),
      historyStart(this.caps),
    );
    const ok: Choice[] = [];
    const lost: { key: string; channel: string }[] = [];
    for (const c of chosen) {
      this.others.set(c.lead.key, others.get(c.lead.key) ?? []);
      if (cappingRule(this.caps, c.options[0].channel, this.touchesOf(c.lead.key)) === undefined) ok.push(c);
      else {
        lost.push({ key: c.lead.key, channel: c.options[0].channel ?? '' });
        retry.push(c);
      }
    }
    if (lost.length > 0) await releaseClaims(store, this.o.scope, lost);
    return ok;
  }

  private toLead(c: Choice): Lead {
    const { channel, address } = c.options[0];
    const values = this.o.reach.carryChannel ? [...c.lead.values, channel ?? null, address] : c.lead.values;
    return { key: c.lead.key, keyValue: c.lead.keyValue, values, channel };
  }

  private held(lead: Candidate, channel: string, address: unknown): HeldLead {
    const fields: Record<string, unknown> = {};
    this.o.job.lead.fields.forEach((f, i) => {
      fields[f.name] = lead.values[i] ?? null;
    });
    return {
      job: this.o.job.name,
      key: lead.key,
      channel,
      address,
      fields,
      heldAtMs: this.o.scope.atMs,
      runId: this.o.scope.runId,
    };
  }
}
