// Quiet hours per channel, in the job's timezone (issue 12). A period "21:00-09:00" is quiet
// from 21:00:00 inclusive to 09:00:00 exclusive, across midnight when the end is earlier than
// the start. Calls and marketing messages late at night are what people complain about, and
// what carriers and regulators look at first (see README "Channels and consent").
import { DateTime } from 'luxon';
import type { QuietPeriod } from '../config/reach-schema.ts';

/** Seconds since local midnight of an instant in a timezone. */
export function secondOfDay(epochMs: number, timezone: string): number {
  const t = DateTime.fromMillis(epochMs, { zone: timezone });
  return t.hour * 3600 + t.minute * 60 + t.second;
}

/** Whether a second of the day lies inside the quiet period. */
export function isQuietSecond(period: QuietPeriod, second: number): boolean {
  return period.start < period.end
    ? second >= period.start && second < period.end
    : second >= period.start || second < period.end;
}

/** Whether a lead may not go out on `channel` at this instant. */
export function isQuiet(
  quiet: Record<string, QuietPeriod> | undefined,
  channel: string | undefined,
  epochMs: number,
  timezone: string,
): boolean {
  const period = channel === undefined ? undefined : quiet?.[channel];
  return period !== undefined && isQuietSecond(period, secondOfDay(epochMs, timezone));
}
