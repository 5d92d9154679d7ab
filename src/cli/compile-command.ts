// `crm-leads compile`: the SQL that `run` executes, for the source's dialect, values shown.
import { planJob } from '../plan/plan.ts';
import { resolveRunTime } from '../plan/time.ts';
import { renderForDialect, showValues } from '../sql/render.ts';
import { dialectOf } from '../config/connection-schema.ts';
import { loadInputs, parseShard } from './load-inputs.ts';
import { handleError } from './output.ts';

export async function compileCommand(
  jobFile: string,
  opts: { at?: string; connections?: string; shard?: string; bindings?: boolean },
): Promise<void> {
  try {
    const { jobs, connections } = loadInputs([jobFile], opts.connections);
    const job = jobs[0];
    const at = resolveRunTime(opts.at, job.timezone);
    const plan = planJob(job, at, dialectOf(connections.byName.get(job.source)!), { shard: parseShard(opts.shard) });
    const query = await renderForDialect(plan);
    const header = `-- ${job.name} on ${job.source} (${plan.dialect}) at ${at.iso}`;
    if (opts.bindings)
      process.stdout.write(`${header}\n${query.sql};\n-- bindings: ${JSON.stringify(query.bindings)}\n`);
    else process.stdout.write(`${header}\n${showValues(query)};\n`);
  } catch (err) {
    handleError(err);
  }
}
