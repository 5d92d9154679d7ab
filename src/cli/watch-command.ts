// `crm-leads watch <job.yaml...> [--connections F] [--state URL] [--from T] [--until T]
// [--grace D] [--log-format json]` (issue 11): real-time leads. Each job ticks on its own
// (src/watch); each tick that read or delivered anything prints its JSON summary on stdout.
// Runs until SIGTERM/SIGINT (the running ticks finish and record themselves, exit 0; a second
// signal, or the end of --grace, interrupts them) or until --until. SIGHUP reloads the job
// files and the connections file (a changed connection is reopened at the job's next tick); a
// file that became invalid keeps its previous version.
import { EXIT, formatIssue, SpecError } from '../errors.ts';
import { resolveRunTime } from '../plan/time.ts';
import type { Job } from '../config/load-job.ts';
import { openStateStore, type StateStore } from '../state/state-store.ts';
import type { TickSummary } from '../watch/tick.ts';
import { JobWatcher } from '../watch/watcher.ts';
import { checkWatchJobs, reloadWatchJobs } from '../watch/watch-jobs.ts';
import { loadInputs, parseGrace } from './load-inputs.ts';
import { handleError, printErr, printSummary, setExit } from './output.ts';
import { cliReporter, parseLogFormat } from './reporter.ts';
import { count } from '../plural.ts';
import { setLongTimeout, type LongTimeout } from '../long-timers.ts';

export interface WatchCommandOptions {
  connections?: string;
  state?: string;
  from?: string;
  until?: string;
  /** On SIGTERM/SIGINT, how long running ticks may take before they are interrupted (default 60s). */
  grace?: string;
  logFormat?: string;
}

// If a tick ignores its interruption (a driver stuck in a network call), do not hang on exit.
const EXIT_DEADLINE_MS = 2_000;
// An interrupted tick ends within seconds (lost-connection.ts drops a connection whose query
// has not ended 3 s after the abort); beyond this, something cannot be interrupted.
const STUCK_EXIT_MS = 10_000;

export async function watchCommand(jobFiles: string[], opts: WatchCommandOptions): Promise<void> {
  let inputs: ReturnType<typeof loadInputs>;
  let store: StateStore | undefined;
  const log = cliReporter(parseLogFormat(opts.logFormat), process.stderr, { progress: 'lines' });
  const watchers: JobWatcher[] = [];
  try {
    const graceMs = parseGrace(opts.grace);
    inputs = loadInputs(jobFiles, opts.connections);
    checkWatchJobs(inputs.jobs);
    const bounds = inputs.jobs.map((job) => ({
      fromMs: instant('--from', opts.from, job),
      untilMs: instant('--until', opts.until, job),
    }));
    for (const [i, b] of bounds.entries())
      if (b.fromMs !== undefined && b.untilMs !== undefined && b.untilMs <= b.fromMs)
        throw new SpecError([
          { file: '--until', message: `"${opts.until}" is not after --from "${opts.from}" (${inputs.jobs[i].name})` },
        ]);
    const ledger = await openStateStore(opts.state);
    store = ledger;
    let connections = inputs.connections;
    const stop = new AbortController();
    const interrupt = new AbortController();
    let graceTimer: LongTimeout | undefined;
    // A statement the driver cannot cancel (one outside the read guard, on a dead link) must not
    // keep the process alive once interrupted: nothing it did was committed, so the next start
    // decides its slice again.
    interrupt.signal.addEventListener(
      'abort',
      () =>
        setTimeout(() => {
          log.error(`the running ticks did not stop within ${STUCK_EXIT_MS / 1000}s of the interrupt; exiting`, {
            event: 'stuck_exit',
          });
          process.exit(EXIT.failed);
        }, STUCK_EXIT_MS).unref(),
      { once: true },
    );
    const onSignal = (signal: NodeJS.Signals) => {
      if (stop.signal.aborted) {
        log.warn(`${signal} again: interrupting the running ticks`, { event: 'interrupt', signal });
        interrupt.abort();
        return;
      }
      log.info(`${signal}: finishing the running ticks (up to ${graceMs / 1000}s), then stopping`, {
        event: 'stopping',
        signal,
        grace_ms: graceMs,
      });
      stop.abort();
      // A tick stuck on its warehouse (a dead link inside read_timeout) must not hold the stop:
      // after the grace period its query is cancelled and its connection dropped.
      graceTimer = setLongTimeout(
        () => {
          log.warn(`the grace period (${graceMs / 1000}s) ended: interrupting the running ticks`, {
            event: 'interrupt',
            reason: 'grace',
          });
          interrupt.abort();
        },
        graceMs,
        { unref: true },
      );
    };
    const onHangup = () => {
      const result = reloadWatchJobs(
        watchers.map((w) => w.job),
        connections,
      );
      for (const p of result.problems)
        log.error(
          `${p.file}: not reloaded, the previous version stays watched: ${p.issues.map(formatIssue).join('; ')}`,
          {
            event: 'reload_failed',
            file: p.file,
            kept_previous: true,
          },
        );
      connections = result.connections;
      for (const [i, job] of result.jobs.entries()) watchers[i].job = job;
      log.info(`reloaded: ${count(watchers.length, 'job')}, ${keptPrevious(result.problems.length)}`, {
        event: 'reloaded',
        jobs: watchers.length,
        kept_previous: result.problems.length,
      });
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
    process.on('SIGHUP', onHangup);
    try {
      await startAll();
      await Promise.all(watchers.map((w) => w.run(stop.signal, interrupt.signal)));
    } finally {
      graceTimer?.clear();
      process.off('SIGTERM', onSignal);
      process.off('SIGINT', onSignal);
      process.off('SIGHUP', onHangup);
    }
    log.info(`stopped: ${count(watchers.length, 'job')}`, { event: 'stopped' });
    setExit(EXIT.ok);
    async function startAll(): Promise<void> {
      try {
        for (const [i, job] of inputs.jobs.entries()) {
          const watcher = new JobWatcher(job, {
            store: ledger,
            connections: () => connections,
            log,
            ...bounds[i],
            onTick: (summary) => report(summary, log),
          });
          await watcher.start(stop.signal);
          watchers.push(watcher);
        }
      } catch (err) {
        // SIGTERM while waiting for a lock: nothing ran, nothing to record.
        if (!stop.signal.aborted) throw err;
      }
    }
  } catch (err) {
    await Promise.allSettled(watchers.map((w) => w.close()));
    handleError(err);
  } finally {
    await Promise.race([store?.close(), new Promise((resolve) => setTimeout(resolve, 1000).unref())]).catch(() => {});
  }
  setTimeout(() => process.exit(), EXIT_DEADLINE_MS).unref();
}

function instant(option: string, text: string | undefined, job: Job): number | undefined {
  if (text === undefined) return undefined;
  try {
    const time = resolveRunTime(text, job.timezone);
    // A local time that happens twice: say which one the replay starts (or stops) at.
    if (time.note) printErr(`warning: ${job.name}: ${time.note.replace('--at', option)}`, 'warn');
    return time.epochMs;
  } catch (err) {
    if (err instanceof SpecError) throw new SpecError(err.issues.map((issue) => ({ ...issue, file: option })));
    throw err;
  }
}

// A tick that read nothing prints nothing: with `every: 1s` that is most of them. A tick that
// recorded a run without rows (held leads released or expired, quiet hours) prints its summary.
function report(summary: TickSummary, log: ReturnType<typeof cliReporter>): void {
  if (summary.counts.rows === 0 && summary.leads === 0 && summary.run_id === undefined) return;
  const skipped = summary.counts.already_sent ? `, ${summary.counts.already_sent} already sent` : '';
  const delivered = summary.outputs.reduce((n, o) => n + o.delivered, 0);
  // As `run` says it: leads a destination refused (a 4xx) are not retried by the next tick.
  const refused = summary.not_delivered
    ? `: ${delivered} delivered, ${summary.not_delivered} NOT delivered (see crm-leads runs show ${summary.run_id})`
    : '';
  (summary.not_delivered ? log.warn : log.info).call(
    log,
    `${summary.job}: tick ${summary.tick}: ${count(summary.leads, 'lead')} from ${count(summary.counts.rows, 'person')} matured in [${summary.slice.from}, ${summary.slice.to})${skipped}${refused}`,
    {
      job: summary.job,
      event: 'tick',
      leads: summary.leads,
      rows: summary.counts.rows,
      delivered,
      not_delivered: summary.not_delivered,
      run_id: summary.run_id,
    },
  );
  printSummary(summary);
}

const keptPrevious = (n: number) => `${n} kept ${n === 1 ? 'its' : 'their'} previous version`;
