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
 * The next `count` instants at which a valid cron expression fires in `timezone` (an IANA name),
 * after now, as node-cron's own scheduler computes them; the task is never started.
 */
export function nextFireTimes(expression: string, timezone: string, count: number): Date[] {
  const cron = createRequire(import.meta.url)('node-cron') as typeof Cron;
  const task = cron.createTask(expression, () => {}, { timezone });
  try {
    return task.getNextRuns(count);
  } finally {
    void task.destroy();
  }
}
