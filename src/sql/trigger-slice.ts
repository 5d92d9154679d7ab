// The time bounds of the trigger: for `run`, the As of [at - within, at) decided at `at`; for
// `watch`, the As that *matured* in the tick's slice [from, to) (issue 11).
//
// An A matures when it can be decided:
//   plain trigger      at tA
//   not_followed_by W  at tA + W (the wait is over; any B that blocks it lies in (tA, tA + W])
//   followed_by        at the last step of its first complete chain
//   both               at the later of the two
// "Matured in [from, to)" is "matured before `to`" and not "matured before `from`". The first
// is the run's rule with the decision time `to`; the second narrows A's time (plain, W) and,
// for followed_by, is a NOT EXISTS of a chain completed before `from`.
//
// The slice bounds A's time on both sides, whatever trigger.within says (watch does not use
// within: every A is decided once, in the tick its maturity falls in). So a tick reads the As
// of [from - lookback, to), lookback = max(W, the sum of the steps' within), and the B or step
// events after them: its cost grows with the slice, not with trigger.within.
import type { Plan, Window } from '../plan/plan.ts';
import { naiveMinus } from '../plan/time.ts';
import type { Job } from '../config/load-job.ts';

export interface TriggerBounds {
  /** A's time lies in [aFrom, aTo) (naive local). */
  aFrom: string;
  aTo: string;
  /** Every event the trigger reads (A, B, steps) lies in this closed window: partition pruning. */
  events: Window;
  /** followed_by: a chain counts when every step is before this. */
  chainBefore: string;
  /** run: not_followed_by needs tA <= this (the wait is over at `at`). */
  waitOverBy?: string;
  /**
   * watch with followed_by: A must not have matured before this (no chain completed before it,
   * unless the wait of not_followed_by ends at or after it).
   */
  notMaturedBefore?: { time: string; waitFrom?: string };
}

/** run: the As of [at - within, at), decided at `at`. */
export function runBounds(plan: Plan): TriggerBounds {
  const window = plan.triggerWindow!;
  const at = plan.at.local;
  const wait = plan.job.trigger!.not_followed_by?.within;
  return {
    aFrom: window.from,
    aTo: at,
    // B ends at tA + W <= at, and steps are before at.
    events: { from: window.from, to: at },
    chainBefore: at,
    waitOverBy: wait === undefined ? undefined : naiveMinus(at, wait),
  };
}

/** How long after A it may take to mature, in seconds: max(W, sum of the steps' within). */
export function maturityLookback(trigger: NonNullable<Job['trigger']>): number {
  const wait = trigger.not_followed_by?.within ?? 0;
  const chain = (trigger.followed_by ?? []).reduce((sum, step) => sum + step.within, 0);
  return Math.max(wait, chain);
}

// With a wait at least as long as the whole chain, a chain always ends inside the wait: A
// matures at tA + W and aFrom alone says "not before the slice".
function chainDecides(trigger: NonNullable<Job['trigger']>): boolean {
  if (!trigger.followed_by) return false;
  const wait = trigger.not_followed_by?.within;
  return wait === undefined || wait < maturityLookback(trigger);
}

/** watch: the As that matured in the slice [from, to). */
export function sliceBounds(trigger: NonNullable<Job['trigger']>, slice: Window): TriggerBounds {
  const wait = trigger.not_followed_by?.within;
  const aFrom = naiveMinus(slice.from, maturityLookback(trigger));
  // tA + W < to; followed_by alone: tA < to (its chain, before `to`, says the rest).
  const aTo = wait === undefined ? slice.to : naiveMinus(slice.to, wait);
  return {
    aFrom,
    aTo,
    events: { from: aFrom, to: slice.to },
    chainBefore: slice.to,
    notMaturedBefore: chainDecides(trigger)
      ? { time: slice.from, waitFrom: wait === undefined ? undefined : naiveMinus(slice.from, wait) }
      : undefined,
  };
}
