// Which jobs `crm-leads watch` can run, and SIGHUP reloads. A watched job needs a trigger (the
// behaviour event that makes a lead) and delivers to webhooks or tables: a CSV file is written
// whole at the end of one run, which a tick every few seconds cannot do usefully, so it is
// refused at start (exit 2) rather than overwritten every tick. The reach rules (contacts,
// consent, caps, quiet hours, a channel fallback) apply in watch as in run (tick.ts). On reload a
// broken file keeps its previous version, as `crm-leads schedule` does.
import { SpecError, type SpecIssue } from '../errors.ts';
import { loadConnections, type Connections } from '../config/load-connections.ts';
import { loadJob, type Job } from '../config/load-job.ts';
import { issueAt, readYamlSource } from '../config/yaml-source.ts';

/** Problems that stop a job from being watched, at their key (file:line:column). */
export function watchIssues(job: Job): SpecIssue[] {
  const problems: { path: PropertyKey[]; message: string }[] = [];
  if (!job.trigger)
    problems.push({ path: ['name'], message: 'watch needs a trigger: the behaviour event that makes a lead' });
  if (job.destinations.length === 0)
    problems.push({ path: ['name'], message: 'watch needs a destination (webhook or table)' });
  job.destinations.forEach((d, i) => {
    if (d.type === 'csv')
      problems.push({
        path: ['destinations', i, 'type'],
        message: 'watch delivers lead by lead: use a webhook or table destination (csv files are for `crm-leads run`)',
      });
  });
  if (problems.length === 0) return [];
  const source = readYamlSource(job.file);
  return problems.map((p) => issueAt(source, p.path, p.message));
}

/** Throws one SpecError with every problem of every job (exit 2, nothing watched). */
export function checkWatchJobs(jobs: Job[]): void {
  const issues = jobs.flatMap(watchIssues);
  if (issues.length) throw new SpecError(issues);
}

export interface ReloadResult {
  connections: Connections;
  /** The jobs to watch now, in the order of `previous`. */
  jobs: Job[];
  /** Files that could not be reloaded: their previous version stays watched. */
  problems: { file: string; issues: SpecIssue[] }[];
}

/** Re-reads the connections and every job file; what cannot be read keeps its previous version. */
export function reloadWatchJobs(previous: Job[], connections: Connections): ReloadResult {
  let fresh: Connections;
  try {
    fresh = loadConnections(connections.file);
  } catch (err) {
    const issues = err instanceof SpecError ? err.issues : [{ file: connections.file, message: String(err) }];
    return { connections, jobs: previous, problems: [{ file: connections.file, issues }] };
  }
  const problems: ReloadResult['problems'] = [];
  const jobs = previous.map((old) => {
    try {
      const job = loadJob(old.file, fresh);
      const issues = watchIssues(job);
      if (job.name !== old.name)
        issues.push({ file: old.file, key: 'name', message: `a watched job cannot be renamed (${old.name})` });
      if (issues.length === 0) return job;
      problems.push({ file: old.file, issues });
    } catch (err) {
      problems.push({
        file: old.file,
        issues: err instanceof SpecError ? err.issues : [{ file: old.file, message: String(err) }],
      });
    }
    return old;
  });
  return { connections: fresh, jobs, problems };
}
