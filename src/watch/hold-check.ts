// When a watch tick looks for held leads (quiet hours, issue 12). A lead is held only while its
// channel is inside its quiet hours, so it can become due only when a quiet period of one of the
// job's channels ends. Reading the holds on every tick would be one ledger query per second
// with `every: 1s`; instead a tick reads them when a quiet period ended since the last tick that
// succeeded (and on the first tick of the process, for holds left by an earlier one).
import { DateTime } from 'luxon';
import type { Job } from '../config/load-job.ts';
import type { QuietPeriod } from '../config/reach-schema.ts';

/**
 * Whether held leads of `job` can be due at `tickMs`: true when the job has quiet hours and one
 * of its quiet periods ended in (sinceMs, tickMs] (epoch ms, the job's
 * timezone), or when `sinceMs` is undefined (nothing checked yet). False without quiet hours.
 */
export function holdsMayBeDue(job: Job, sinceMs: number | undefined, tickMs: number): boolean {
  const periods = quietPeriodsOf(job);
  if (periods.length === 0) return false;
  if (sinceMs === undefined) return true;
  return periods.some((p) => lastEndAtOrBefore(p, tickMs, job.timezone) > sinceMs);
}

/** The job's quiet periods (validation allows them only on channels of lead.channel). */
function quietPeriodsOf(job: Job): QuietPeriod[] {
  return Object.values(job.quiet_hours?.channels ?? {});
}

/** The latest instant <= atMs at which the period ends (its end time of day, local). */
function lastEndAtOrBefore(period: QuietPeriod, atMs: number, timezone: string): number {
  const day = DateTime.fromMillis(atMs, { zone: timezone }).startOf('day');
  const endOn = (d: DateTime) =>
    d.set({ hour: Math.floor(period.end / 3600), minute: Math.floor(period.end / 60) % 60 }).toMillis();
  const today = endOn(day);
  return today <= atMs ? today : endOn(day.minus({ days: 1 }));
}
