// `at` is the run's logical time. Warehouse time columns are naive local times in the job's
// timezone, so every bound handed to SQL is a naive 'YYYY-MM-DD HH:MM:SS' string in that zone,
// and window arithmetic is done on naive values (as the warehouse does it), whole seconds.
import { DateTime } from 'luxon';
import { SpecError } from '../errors.ts';

export const NAIVE_FORMAT = 'yyyy-MM-dd HH:mm:ss';

export interface RunTime {
  /** The instant, ISO 8601 with the zone's offset. */
  iso: string;
  /** Naive local time in the job's timezone. */
  local: string;
  /** Local date, for {{date}} in paths. */
  date: string;
  timezone: string;
  epochMs: number;
}

export function resolveRunTime(atText: string | undefined, timezone: string, now = new Date()): RunTime {
  let at: DateTime;
  if (atText === undefined) at = DateTime.fromJSDate(now, { zone: timezone });
  else {
    // Without an offset the text is read in the job's timezone; with one, as written.
    const parsed = DateTime.fromISO(atText.trim().replace(' ', 'T'), { zone: timezone, setZone: false });
    if (!parsed.isValid)
      throw new SpecError([
        {
          file: '--at',
          message: `"${atText}" is not an ISO date-time such as 2026-11-23T09:00:00 or 2026-11-23T09:00:00+08:00`,
        },
      ]);
    at = parsed.setZone(timezone);
  }
  at = at.startOf('second');
  return {
    iso: at.toISO({ suppressMilliseconds: true })!,
    local: at.toFormat(NAIVE_FORMAT),
    date: at.toFormat('yyyy-MM-dd'),
    timezone,
    epochMs: at.toMillis(),
  };
}

/** Naive local time minus a number of seconds, computed on the naive value (no DST jumps). */
export function naiveMinus(local: string, seconds: number): string {
  return DateTime.fromFormat(local, NAIVE_FORMAT, { zone: 'UTC' }).minus({ seconds }).toFormat(NAIVE_FORMAT);
}
