// A job's `schedule:` is a cron expression of 5 or 6 fields, checked with node-cron itself.
import cron from 'node-cron';

export function validateSchedule(expression: string): string | undefined {
  const fields = expression.trim().split(/\s+/).length;
  if (fields !== 5 && fields !== 6) return `a cron expression has 5 or 6 fields, this one has ${fields}`;
  return cron.validate(expression) ? undefined : `"${expression}" is not a valid cron expression`;
}
