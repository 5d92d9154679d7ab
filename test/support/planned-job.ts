// Jobs planned without a connection, for the expected-SQL unit tests: YAML text -> loadJob ->
// planJob, run at 2026-11-23 09:00 in Asia/Shanghai unless a test says otherwise.
import type { Dialect } from '../../src/config/connection-schema.ts';
import { loadJob } from '../../src/config/load-job.ts';
import { type Plan, type PlanOptions, planJob } from '../../src/plan/plan.ts';
import { resolveRunTime } from '../../src/plan/time.ts';

/** The run time of the expected-SQL tables: a 24h window is [2026-11-22 09:00:00, 2026-11-23 09:00:00). */
export const SQL_AT = '2026-11-23T09:00:00';

/** Job `t` on connection `wh`, in Asia/Shanghai, with `body` (audience, trigger, lead …), planned for `dialect`. */
export function planBody(body: string, dialect: Dialect, options: PlanOptions & { at?: string } = {}): Plan {
  const job = loadJob('job.yaml', undefined, {}, `name: t\nsource: wh\ntimezone: Asia/Shanghai\n${body}`);
  return planJob(job, resolveRunTime(options.at ?? SQL_AT, job.timezone), dialect, options);
}

/** The trigger tests' job: everyone in dim_user, `trigger` as flow YAML, `fields` as the lead. */
export function planTrigger(
  trigger: string,
  dialect: Dialect,
  fields = '[user_id]',
  options: PlanOptions & { at?: string } = {},
): Plan {
  return planBody(
    `audience: { table: dim_user }\ntrigger: ${trigger}\nlead: { fields: ${fields} }\n`,
    dialect,
    options,
  );
}
