// A job's `schedule:` is a cron expression of 5 or 6 fields, checked with node-cron itself.
// node-cron is loaded only for jobs that have a schedule: every other run skips its start-up.
import { createRequire } from 'node:module';
import type Cron from 'node-cron';

export function validateSchedule(expression: string): string | undefined {
  const fields = expression.trim().split(/\s+/).length;
  if (fields !== 5 && fields !== 6) return `a cron expression has 5 or 6 fields, this one has ${fields}`;
  const cron = createRequire(import.meta.url)('node-cron') as typeof Cron;
  return cron.validate(expression) ? undefined : `"${expression}" is not a valid cron expression`;
}

/**
 * Whether a cron expression (5 or 6 fields, already valid) can fire more than once on one day:
 * any of its second, minute or hour fields is a list, range, step or `*`. Such a job's runs share
 * a {{date}}, so a file path without {{run_id}} would be overwritten by the next run of the day.
 */
export function firesMoreThanOncePerDay(expression: string): boolean {
  const fields = expression.trim().split(/\s+/);
  const timeOfDay = fields.length === 6 ? fields.slice(0, 3) : fields.slice(0, 2);
  return timeOfDay.some((field) => /[*,/-]/.test(field));
}
