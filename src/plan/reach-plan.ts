// The reach step's part of the plan (issue 12): which channels a lead may go out on, in order,
// and where the query puts each channel's address and opt-out flag in the row. Pure.
//
// Row layout of the lead query with reach columns:
//   [person key, ...lead fields, address of channel 1..n (contacts), opted out of channel 1..n (consent)]
import type { Job } from '../config/load-job.ts';

export interface ReachPlan {
  /** Candidate channels in fallback order; [undefined] when the job names none (a cooldown only). */
  channels: (string | undefined)[];
  /** Row index of channel i's address is addressAt + i; undefined without contacts. */
  addressAt?: number;
  /** Row index of channel i's opt-out flag (1 opted out, 0/NULL not) is optOutAt + i. */
  optOutAt?: number;
  /** consent lives on another connection: read as a key set before the stream. */
  consentElsewhere: boolean;
  /** Whether leads carry `channel` and `address` as output fields (new forms only). */
  carryChannel: boolean;
}

/** Whether the job uses the reach step: channels, contacts, consent, quiet hours or caps. */
export function usesReach(job: Job): boolean {
  return (
    job.lead.channel !== undefined ||
    job.contacts !== undefined ||
    job.consent !== undefined ||
    job.quiet_hours !== undefined ||
    job.exclude.delivered !== undefined
  );
}

/** The reach plan of a job, given the number of lead fields; undefined when the job has no reach step. */
export function planReach(job: Job, fieldCount: number): ReachPlan | undefined {
  if (!usesReach(job)) return undefined;
  const channels = job.lead.channel ?? [undefined];
  const named = channels.filter((c): c is string => c !== undefined);
  let next = 1 + fieldCount;
  const addressAt = job.contacts && named.length > 0 ? next : undefined;
  if (addressAt !== undefined) next += named.length;
  const consentElsewhere = job.consent?.source !== undefined && job.consent.source !== job.source;
  const optOutAt = job.consent && !consentElsewhere && named.length > 0 ? next : undefined;
  return {
    channels,
    addressAt,
    optOutAt,
    consentElsewhere,
    carryChannel: job.contacts !== undefined || named.length > 1,
  };
}

/** The output field names the reach step appends to each lead. */
export const REACH_FIELDS = ['channel', 'address'] as const;
