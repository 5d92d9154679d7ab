// Loads the jobs that `crm-leads schedule` runs: every job file under the given paths that has
// a `schedule:`. At start any problem stops everything (exit 2, nothing ran); on reload
// (SIGHUP) a broken file keeps the previous version of its job, so a typo saved in an editor
// never silently unschedules a job.
import { basename } from 'node:path';
import { SpecError, type SpecIssue } from '../errors.ts';
import { findConnectionsFile, loadConnections, type Connections } from '../config/load-connections.ts';
import { loadJob, type Job } from '../config/load-job.ts';
import { findJobFiles } from './job-files.ts';

export interface ScheduleSet {
  connections: Connections;
  /** Jobs with a schedule, in file order. */
  jobs: Job[];
  /** Job files without `schedule:` (run them with `crm-leads run`). */
  unscheduled: string[];
}

export interface ReloadProblem {
  file: string;
  issues: SpecIssue[];
  /** The previous version of this file's job stays scheduled. */
  keptPrevious: boolean;
}

type FileResult = { file: string; job: Job } | { file: string; issues: SpecIssue[] };

export function loadScheduleSet(paths: string[], connectionsFile: string | undefined): ScheduleSet {
  const found = findJobFiles(paths);
  if (found.issues.length) throw new SpecError(found.issues);
  const connections = loadConnections(findConnectionsFile(connectionsFile, found.files[0]));
  const results = readJobFiles(found.files, connections);
  const issues = results.flatMap((r) => ('issues' in r ? r.issues : []));
  if (issues.length) throw new SpecError(issues);
  const set = toSet(connections, results);
  if (set.jobs.length === 0)
    throw new SpecError([
      { file: paths.join(', '), message: 'no job with a schedule: to run (add e.g. schedule: "0 9 * * *" to a job)' },
    ]);
  return set;
}

/** Re-reads everything; what cannot be read keeps its previous version. Never throws on bad input. */
export function reloadScheduleSet(
  paths: string[],
  previous: ScheduleSet,
): { set: ScheduleSet; problems: ReloadProblem[] } {
  let connections: Connections;
  try {
    connections = loadConnections(previous.connections.file);
  } catch (err) {
    // Every job depends on the connections: keep them all as they were.
    const issues =
      err instanceof SpecError ? err.issues : [{ file: previous.connections.file, message: (err as Error).message }];
    return { set: previous, problems: [{ file: previous.connections.file, issues, keptPrevious: true }] };
  }
  const found = findJobFiles(paths);
  const results = readJobFiles(found.files, connections);
  const previousByFile = new Map(previous.jobs.map((job) => [job.file, job]));
  const problems: ReloadProblem[] = found.issues.map((issue) => ({
    file: issue.file,
    issues: [issue],
    keptPrevious: false,
  }));
  const merged: FileResult[] = results.map((r) => {
    if (!('issues' in r)) return r;
    const kept = previousByFile.get(r.file);
    problems.push({ file: r.file, issues: r.issues, keptPrevious: kept !== undefined });
    return kept ? { file: r.file, job: kept } : r;
  });
  return { set: toSet(connections, merged), problems };
}

function readJobFiles(files: string[], connections: Connections): FileResult[] {
  const results: FileResult[] = [];
  const names = new Map<string, string>();
  for (const file of files) {
    // A folder of jobs often holds its connections file too: it is not a job.
    if (file === connections.file || /^connections\.ya?ml$/i.test(basename(file))) continue;
    try {
      const job = loadJob(file, connections);
      const other = names.get(job.name);
      if (other) {
        results.push({
          file,
          issues: [{ file, key: 'name', message: `job name "${job.name}" is also used by ${other}` }],
        });
        continue;
      }
      names.set(job.name, file);
      results.push({ file, job });
    } catch (err) {
      if (!(err instanceof SpecError)) throw err;
      results.push({ file, issues: err.issues });
    }
  }
  return results;
}

function toSet(connections: Connections, results: FileResult[]): ScheduleSet {
  const jobs: Job[] = [];
  const unscheduled: string[] = [];
  for (const r of results) {
    if ('issues' in r) continue;
    if (r.job.schedule === undefined) unscheduled.push(r.file);
    else jobs.push(r.job);
  }
  return { connections, jobs, unscheduled };
}
