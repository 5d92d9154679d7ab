// Loads the connections file and every job before anything runs, so that one invalid job
// stops the whole command with exit 2 and nothing written.
import { SpecError, type SpecIssue } from '../errors.ts';
import { findConnectionsFile, loadConnections, type Connections } from '../config/load-connections.ts';
import { loadJob, type Job } from '../config/load-job.ts';

export function loadInputs(
  jobFiles: string[],
  connectionsFile: string | undefined,
): { connections: Connections; jobs: Job[] } {
  const connections = loadConnections(findConnectionsFile(connectionsFile, jobFiles[0]));
  return { connections, jobs: loadJobs(jobFiles, connections) };
}

/**
 * Every job file, all problems collected into one SpecError (exit 2). Without `connections`
 * the jobs' connection names are not checked (`compile --dialect` needs no connections file).
 */
export function loadJobs(jobFiles: string[], connections: Connections | undefined): Job[] {
  const issues: SpecIssue[] = [];
  const jobs: Job[] = [];
  for (const file of jobFiles) {
    try {
      jobs.push(loadJob(file, connections));
    } catch (err) {
      if (err instanceof SpecError) issues.push(...err.issues);
      else throw err;
    }
  }
  const names = new Map<string, string>();
  for (const job of jobs) {
    const other = names.get(job.name);
    if (other) issues.push({ file: job.file, key: 'name', message: `job name "${job.name}" is also used by ${other}` });
    names.set(job.name, job.file);
  }
  if (issues.length) throw new SpecError(issues);
  return jobs;
}

export function parseShard(text: string | undefined): { index: number; count: number } | undefined {
  if (text === undefined) return undefined;
  const m = /^(\d+)\/(\d+)$/.exec(text);
  const index = m ? Number(m[1]) : NaN;
  const count = m ? Number(m[2]) : NaN;
  if (!m || count < 1 || index >= count)
    throw new SpecError([
      { file: '--shard', message: `"${text}" is not a shard: write I/N with 0 <= I < N, e.g. 0/4` },
    ]);
  return { index, count };
}

/** `--grace 60s`, `90`, `2m`, `500ms`: how long running jobs (schedule) or ticks (watch)
 * may take to finish on shutdown, in ms (default 60,000). @throws SpecError (exit 2) for other text. */
export function parseGrace(text: string | undefined): number {
  if (text === undefined) return 60_000;
  const m = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h)?$/.exec(text.trim());
  if (!m) throw new SpecError([{ file: '--grace', message: `"${text}" is not a duration such as 60s, 2m or 500ms` }]);
  const unitMs = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[(m[2] ?? 's') as 'ms' | 's' | 'm' | 'h'];
  return Math.round(Number(m[1]) * unitMs);
}
