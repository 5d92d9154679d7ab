// Durations as the job spec writes them: an integer and a unit, s m h d ("30d", "90m").
// s, m and h are elapsed time; d is calendar days in the job's timezone (see plan/time.ts).
// A window that reaches back from the run's time keeps the unit (a Lookback): 24h and 1d are
// different windows across a DST change. Gaps between stored event times are plain seconds,
// measured on the naive values the warehouse holds (where 1d and 24h are the same).
import { z } from 'zod';

const UNIT_SECONDS = { s: 1, m: 60, h: 3600, d: 86400 } as const;

export const DURATION_PATTERN = /^(\d+)\s*([smhd])$/;

/**
 * The longest duration a job may write: 3660 days (about ten years), in seconds. Beyond it a
 * window's start is no longer a date every engine reads (99999999999999999999d bound
 * "Invalid DateTime"), so a longer one is an invalid job (exit 2) at its key.
 */
export const MAX_DURATION_SECONDS = 3660 * 86400;

export function parseDuration(text: string): number | undefined {
  const match = DURATION_PATTERN.exec(text.trim());
  if (!match) return undefined;
  return Number(match[1]) * UNIT_SECONDS[match[2] as keyof typeof UNIT_SECONDS];
}

/** The unit a duration was written in (d = calendar days), or undefined when it is not one. */
export function durationUnit(text: string): 's' | 'm' | 'h' | 'd' | undefined {
  return DURATION_PATTERN.exec(text.trim())?.[2] as 's' | 'm' | 'h' | 'd' | undefined;
}

export function formatDuration(seconds: number): string {
  for (const [unit, size] of [
    ['d', 86400],
    ['h', 3600],
    ['m', 60],
  ] as const) {
    if (seconds % size === 0) return `${seconds / size}${unit}`;
  }
  return `${seconds}s`;
}

/**
 * How far a window reaches back from the run's time `at`, as the job wrote it (issue 9):
 * `s`, `m`, `h` are elapsed time (`seconds` before the instant `at`); `d` is calendar days (the
 * same wall-clock time `days` days earlier in the job's timezone). Resolved by plan/time.ts.
 */
export interface Lookback {
  /** Elapsed seconds; for days, the nominal length days × 86400 (for ordering and maxima only). */
  seconds: number;
  /** Set when written in days (`30d`): calendar days. */
  days?: number;
}

/** A window length key (trigger.within, behaviour within, ...): a durationSchema that keeps the unit. */
export function lookbackSchema() {
  return checkedDuration({}).transform((value): Lookback => {
    const seconds = parseDuration(String(value))!;
    return durationUnit(String(value)) === 'd' ? { seconds, days: seconds / 86400 } : { seconds };
  });
}

/**
 * A duration key of the job spec, as seconds: a whole number and a unit s, m, h or d, at most
 * MAX_DURATION_SECONDS; positive unless `allowZero`. Every message quotes the value as typed.
 */
export function durationSchema(options: { allowZero?: boolean; example?: string } = {}) {
  return checkedDuration(options).transform((value) => parseDuration(String(value))!);
}

// The value as typed, checked: a duration, at most the maximum, positive unless allowZero.
function checkedDuration(options: { allowZero?: boolean; example?: string }) {
  return (
    z
      // A bare number (within: 30) gets the duration message below, not "expected string".
      .union([z.string(), z.number()])
      .superRefine((value, ctx) => {
        // As typed: text in quotes, a YAML number bare (within: 30 shows 30, not "30").
        const shown = typeof value === 'number' ? String(value) : `"${value}"`;
        const seconds = parseDuration(String(value));
        if (seconds === undefined)
          ctx.addIssue({
            code: 'custom',
            message: `${shown} is not a duration: write a whole number and a unit s, m, h or d, e.g. ${options.example ?? '30d'}`,
          });
        else if (seconds > MAX_DURATION_SECONDS)
          ctx.addIssue({
            code: 'custom',
            message: `${shown} is longer than the maximum duration, 3660d (${MAX_DURATION_SECONDS} seconds)`,
          });
        else if (seconds === 0 && !options.allowZero)
          ctx.addIssue({ code: 'custom', message: `${shown}: a duration must be positive` });
      })
  );
}
