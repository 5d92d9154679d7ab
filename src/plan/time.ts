// `at` is the run's logical time, an instant. Warehouse time columns are naive local times in the
// job's timezone (or carry a zone the session reads in it), so every bound handed to SQL is a
// naive 'YYYY-MM-DD HH:MM:SS' string in that zone, whole seconds.
//
// Windows back from `at` (issue 9): s, m and h are elapsed time, computed on instants and then
// written as naive local times, so consecutive hourly runs cover consecutive real hours across a
// DST change (the spring hour that does not exist is in no window; the autumn hour that happens
// twice is read once, by the run whose window reaches its end). d is calendar days: the same
// wall-clock time N days earlier. Gaps between stored event times (not_followed_by, followed_by)
// are measured on the naive values themselves (naiveMinus).
import { DateTime } from 'luxon';
import type { Lookback } from '../config/duration.ts';
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
  /**
   * Set when `--at` named a local time that happens twice (the hour repeated when clocks go
   * back): which of the two the run took, for the summary.
   */
  note?: string;
}

/**
 * The run time from `--at` (ISO 8601; without an offset, a local time in `timezone`) or `now`.
 * A local time in the hour skipped when clocks go forward is refused; one in the repeated hour
 * is taken as its first occurrence (the earlier instant) and `note` says so.
 * @throws SpecError (file `--at`) when the text is not a date-time or names a skipped local time.
 */
export function resolveRunTime(atText: string | undefined, timezone: string, now = new Date()): RunTime {
  let at: DateTime;
  let note: string | undefined;
  if (atText === undefined) at = DateTime.fromJSDate(now, { zone: timezone });
  else {
    const text = atText.trim().replace(' ', 'T');
    // Without an offset the text is read in the job's timezone; with one, as written.
    const parsed = DateTime.fromISO(text, { zone: timezone, setZone: false });
    if (!parsed.isValid)
      throw atError(`"${atText}" is not an ISO date-time such as 2026-11-23T09:00:00 or 2026-11-23T09:00:00+08:00`);
    at = parsed.setZone(timezone);
    if (!hasOffset(text)) {
      const wall = DateTime.fromISO(text, { zone: 'UTC' });
      // luxon moves a skipped local time forward: the wall clock read back differs.
      if (!sameWallClock(at, wall))
        throw atError(
          `"${atText}" does not exist in ${timezone}: the clocks go forward over it that day; write a local time outside the skipped hour, or a time with an offset, e.g. ${iso(at)}`,
        );
      const twice = at.getPossibleOffsets().sort((a, b) => a.toMillis() - b.toMillis());
      if (twice.length > 1) {
        at = twice[0];
        note = `--at ${atText} happens twice in ${timezone}; taken as the first, ${iso(twice[0])} (${twice[0].offsetNameShort}), not ${iso(twice[1])} (${twice[1].offsetNameShort}): give an offset to choose`;
      }
    }
  }
  at = at.startOf('second');
  return {
    iso: iso(at),
    local: at.toFormat(NAIVE_FORMAT),
    date: at.toFormat('yyyy-MM-dd'),
    timezone,
    epochMs: at.toMillis(),
    ...(note ? { note } : {}),
  };
}

/** The start of the window [at - back, at): elapsed time for s/m/h, calendar days for d. */
export function windowStart(at: RunTime, back: Lookback): { local: string; epochMs: number } {
  if (back.days !== undefined) {
    // The same wall-clock time N days earlier: on the naive value (a time the clocks skipped
    // that day still bounds the same stored rows), and as an instant for the ledger's windows.
    const instant = DateTime.fromMillis(at.epochMs, { zone: at.timezone }).minus({ days: back.days });
    return { local: naiveMinusDays(at.local, back.days), epochMs: instant.toMillis() };
  }
  const epochMs = at.epochMs - back.seconds * 1000;
  return { local: DateTime.fromMillis(epochMs, { zone: at.timezone }).toFormat(NAIVE_FORMAT), epochMs };
}

/** The start of [at - back, at) as epoch ms, for an instant `atMs` (ledger windows: caps, cooldowns). */
export function windowStartMs(atMs: number, timezone: string, back: Lookback): number {
  if (back.days === undefined) return atMs - back.seconds * 1000;
  return DateTime.fromMillis(atMs, { zone: timezone }).minus({ days: back.days }).toMillis();
}

/**
 * Naive local time minus a number of seconds, computed on the naive value (no DST jumps): the
 * rule for gaps between stored event times (tA + W <= at, the wait of not_followed_by).
 */
export function naiveMinus(local: string, seconds: number): string {
  return DateTime.fromFormat(local, NAIVE_FORMAT, { zone: 'UTC' }).minus({ seconds }).toFormat(NAIVE_FORMAT);
}

function naiveMinusDays(local: string, days: number): string {
  return DateTime.fromFormat(local, NAIVE_FORMAT, { zone: 'UTC' }).minus({ days }).toFormat(NAIVE_FORMAT);
}

const iso = (t: DateTime) => t.toISO({ suppressMilliseconds: true })!;

const atError = (message: string) => new SpecError([{ file: '--at', message }]);

// An offset or Z after the time part: 2026-11-01T01:30:00-04:00, ...Z, ...+0800.
const hasOffset = (text: string) => /T.*(Z|[+-]\d\d(:?\d\d)?)$/i.test(text);

const sameWallClock = (a: DateTime, b: DateTime) =>
  a.year === b.year && a.month === b.month && a.day === b.day && a.hour === b.hour && a.minute === b.minute;
