// `crm-leads schedule [paths…]`: runs every job that has a `schedule:` with node-cron, in its
// timezone, until SIGTERM/SIGINT. SIGHUP reloads the job files. Logs on stderr (text or pino
// JSON); each finished run's JSON summary is one line on stdout, as with `crm-leads run`.
import { count } from '../plural.ts';
import { EXIT, formatIssue, RunError, SpecError } from '../errors.ts';
import { runJob, type RunSummary } from '../run/run-job.ts';
import { DEFAULT_JOB_PATHS } from '../schedule/job-files.ts';
import { loadScheduleSet, reloadScheduleSet, type ScheduleSet } from '../schedule/load-scheduled-jobs.ts';
import { recordStuckRunsInterrupted } from '../schedule/record-interrupted.ts';
import { localIso, Scheduler, type RunResult, type ShutdownResult } from '../schedule/scheduler.ts';
import { openStateStore, type StateStore } from '../state/state-store.ts';
import type { Job } from '../config/load-job.ts';
import { parseGrace } from './load-inputs.ts';
import { handleError, printSummary, setExit } from './output.ts';
import { cliReporter, parseLogFormat, type CliReporter } from './reporter.ts';

export interface ScheduleCommandOptions {
  connections?: string;
  concurrency?: string;
  grace?: string;
  state?: string;
  logFormat?: string;
}

// If a run ignores its abort (a driver stuck in a network call), do not hang on exit.
const EXIT_DEADLINE_MS = 2_000;

export async function scheduleCommand(pathArgs: string[], opts: ScheduleCommandOptions): Promise<void> {
  const paths = pathArgs.length ? pathArgs : DEFAULT_JOB_PATHS;
  let current: ScheduleSet;
  let concurrency: number;
  let graceMs: number;
  let store: StateStore;
  try {
    concurrency = parseConcurrency(opts.concurrency);
    graceMs = parseGrace(opts.grace);
    current = loadScheduleSet(paths, opts.connections);
    // One ledger for every run of this process (locks, run records, deliveries).
    store = await openStateStore(opts.state);
  } catch (err) {
    handleError(err);
    return;
  }
  const log = cliReporter(parseLogFormat(opts.logFormat), process.stderr, { progress: 'lines' });
  const scheduler = new Scheduler({
    concurrency,
    log,
    run: (job, at, signal) => runScheduled(job, at, signal, current, store, log),
  });
  scheduler.setJobs(current.jobs);
  announce(
    scheduler,
    current,
    log,
    `scheduling ${count(current.jobs.length, 'job')}, concurrency ${concurrency}, grace ${graceMs / 1000}s`,
  );

  let stopping: Promise<ShutdownResult> | undefined;
  const reload = () => {
    if (stopping) return;
    try {
      const { set, problems } = reloadScheduleSet(paths, current);
      for (const p of problems) {
        const what = p.keptPrevious ? 'not reloaded, the previous version stays scheduled' : 'not loaded';
        log.error(`${p.file}: ${what}: ${p.issues.map(formatIssue).join('; ')}`, {
          event: 'reload_failed',
          file: p.file,
          kept_previous: p.keptPrevious,
          issues: p.issues,
        });
      }
      current = set;
      const diff = scheduler.setJobs(set.jobs);
      announce(
        scheduler,
        set,
        log,
        `reloaded: ${count(set.jobs.length, 'job')}; added ${list(diff.added)}, changed ${list(diff.changed)}, removed ${list(diff.removed)}`,
        diff,
      );
    } catch (err) {
      log.error(`reload failed, nothing changed: ${(err as Error).message}`, { event: 'reload_failed' });
    }
  };
  const result = await new Promise<ShutdownResult>((resolve) => {
    const stop = (signal: NodeJS.Signals) => {
      if (stopping) {
        log.warn(`${signal} again: interrupting the running jobs now`, { event: 'interrupt', signal });
        void scheduler.interruptNow();
        return;
      }
      log.info(`${signal}: no new runs; ${scheduler.activeRuns} running`, { event: 'stopping', signal });
      stopping = scheduler.shutdown(graceMs);
      void stopping.then(resolve);
    };
    process.on('SIGTERM', stop);
    process.on('SIGINT', stop);
    process.on('SIGHUP', reload);
  });
  process.removeAllListeners('SIGHUP');
  // Runs that stopped on their abort recorded themselves as interrupted; these did not stop.
  const stuck = result.interrupted.filter((r) => !r.settled).map((r) => r.job.name);
  try {
    const recorded = await recordStuckRunsInterrupted(
      store,
      stuck,
      `interrupted: the scheduler stopped and the run did not stop within its grace period`,
    );
    if (recorded)
      log.warn(`${stuck.join(', ')}: did not stop after the abort; recorded as interrupted`, {
        event: 'recorded_interrupted',
        jobs: stuck,
      });
  } catch (err) {
    log.error(`could not record interrupted runs in the ledger ${store.display}: ${(err as Error).message}`, {
      event: 'ledger_error',
    });
  }
  await Promise.race([store.close(), new Promise((resolve) => setTimeout(resolve, 1000).unref())]).catch(() => {});
  log.info(
    `stopped: ${count(result.finished.length, 'run')} finished in the grace period, ${result.interrupted.length} interrupted`,
    { event: 'stopped', finished: result.finished, interrupted: result.interrupted.map((r) => r.job.name) },
  );
  setExit(EXIT.ok);
  setTimeout(() => process.exit(), EXIT_DEADLINE_MS).unref();
}

async function runScheduled(
  job: Job,
  at: Date,
  signal: AbortSignal,
  set: ScheduleSet,
  stateStore: StateStore,
  reporter: CliReporter,
): Promise<RunResult> {
  const started = Date.now();
  try {
    if (!set.connections.byName.has(job.source))
      throw new RunError(`${job.name}: connection "${job.source}" is no longer in ${set.connections.file}`);
    const summary: RunSummary = await runJob(job, {
      connections: set.connections,
      reporter,
      at: at.toISOString(),
      signal,
      stateStore,
    });
    printSummary(summary);
    return {
      status: summary.status,
      fields: {
        run_id: summary.run_id,
        leads: summary.leads,
        rows: summary.counts.rows,
        not_delivered: summary.not_delivered,
      },
    };
  } catch (err) {
    printSummary({
      job: job.name,
      status: signal.aborted ? 'interrupted' : 'failed',
      at: localIso(at, job),
      error: (err as Error).message,
      seconds: (Date.now() - started) / 1000,
    });
    throw err;
  }
}

function announce(
  scheduler: Scheduler,
  set: ScheduleSet,
  log: CliReporter,
  headline: string,
  fields: Record<string, unknown> = {},
): void {
  log.info(headline, { event: 'scheduled', jobs: set.jobs.length, ...fields });
  for (const { job, next } of scheduler.nextRuns()) {
    log.info(`  ${job.name}: "${job.schedule}" ${job.timezone}, next run ${next ?? 'never'}`, {
      event: 'next_run',
      job: job.name,
      schedule: job.schedule,
      timezone: job.timezone,
      next_run: next,
      file: job.file,
    });
  }
  for (const file of set.unscheduled)
    log.info(`  ${file}: no schedule:, not scheduled`, { event: 'unscheduled', file });
}

const list = (names: string[]) => (names.length ? names.join(', ') : 'none');

function parseConcurrency(text: string | undefined): number {
  if (text === undefined) return 1;
  if (!/^[1-9]\d*$/.test(text))
    throw new SpecError([{ file: '--concurrency', message: `"${text}" is not a positive whole number` }]);
  return Number(text);
}
