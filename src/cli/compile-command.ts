// `crm-leads compile`: the SQL that `run` executes, for the source's dialect, values shown.
// With --dialect no connection is needed: see the Hive or Oracle SQL of any job.
import { dialectOf, type Dialect } from '../config/connection-schema.ts';
import { findConnectionsFile, loadConnections } from '../config/load-connections.ts';
import { SpecError } from '../errors.ts';
import { planJob } from '../plan/plan.ts';
import { resolveRunTime } from '../plan/time.ts';
import { renderForDialect, showValues } from '../sql/render.ts';
import { loadInputs, loadJobs, parseShard } from './load-inputs.ts';
import { handleError } from './output.ts';

/** The values of `compile --dialect`, and the connection types that mean the same. */
export const DIALECTS: Record<string, Dialect> = {
  sqlite: 'sqlite',
  mysql: 'mysql',
  mariadb: 'mysql',
  postgres: 'postgres',
  postgresql: 'postgres',
  hive: 'hive',
  oracle: 'oracle',
};

export async function compileCommand(
  jobFile: string,
  opts: { at?: string; connections?: string; shard?: string; bindings?: boolean; dialect?: string },
): Promise<void> {
  try {
    const { job, dialect } = jobAndDialect(jobFile, opts);
    const at = resolveRunTime(opts.at, job.timezone);
    const plan = planJob(job, at, dialect, { shard: parseShard(opts.shard) });
    const query = await renderForDialect(plan);
    const on = opts.dialect === undefined ? `on ${job.source} ` : '';
    const note = at.note ? `\n-- ${at.note}` : '';
    const header = `-- ${job.name} ${on}(${plan.dialect}) at ${at.iso}${note}`;
    if (opts.bindings)
      process.stdout.write(`${header}\n${query.sql};\n-- bindings: ${JSON.stringify(query.bindings)}\n`);
    else process.stdout.write(`${header}\n${showValues(query)};\n`);
  } catch (err) {
    handleError(err);
  }
}

function jobAndDialect(jobFile: string, opts: { connections?: string; dialect?: string }) {
  if (opts.dialect === undefined) {
    const { jobs, connections } = loadInputs([jobFile], opts.connections);
    return { job: jobs[0], dialect: dialectOf(connections.byName.get(jobs[0].source)!) };
  }
  const dialect = DIALECTS[opts.dialect];
  if (dialect === undefined)
    throw new SpecError([
      { file: '--dialect', message: `"${opts.dialect}" is not a dialect: sqlite, mysql, postgres, hive or oracle` },
    ]);
  // The connections file is read only when named: its names are then checked as in `run`.
  const connections = opts.connections ? loadConnections(findConnectionsFile(opts.connections, jobFile)) : undefined;
  return { job: loadJobs([jobFile], connections)[0], dialect };
}
