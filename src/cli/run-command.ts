// `crm-leads run`: runs each job in turn, prints progress on stderr and one JSON summary line
// per job on stdout (the last line is the summary of the last job, for XCom and scripts).
import { count } from '../plural.ts';
import { CancelledError, EXIT } from '../errors.ts';
import { runJob, type RunSummary } from '../run/run-job.ts';
import { loadInputs, parseShard } from './load-inputs.ts';
import { handleError, printErr, printSummary, setExit } from './output.ts';
import { funnelBars } from './funnel-bars.ts';
import { type CliReporter, cliReporter } from './reporter.ts';

/** After SIGTERM/SIGINT, the longest a run may take to stop cleanly before the process exits. */
export const STOP_GRACE_MS = 30_000;

export interface RunCommandOptions {
  at?: string;
  connections?: string;
  csv?: string;
  record?: boolean;
  dryRun?: boolean;
  shard?: string;
  state?: string;
  wait?: boolean;
  logFormat?: string;
}

export async function runCommand(jobFiles: string[], opts: RunCommandOptions): Promise<void> {
  let inputs: ReturnType<typeof loadInputs>;
  try {
    inputs = loadInputs(jobFiles, opts.connections);
  } catch (err) {
    handleError(err);
    return;
  }
  const shard = parseShard(opts.shard);
  // `--csv -` puts the leads on stdout: the summary goes to stderr, so the CSV stays clean.
  const summaryStream = opts.csv === '-' ? 'stderr' : 'stdout';
  const reporter = cliReporter(opts.logFormat === 'json' ? 'json' : 'text');
  const abort = new AbortController();
  // The abort ends any wait on a warehouse at once; should cleanup itself hang (a ledger server
  // gone silent too), the process still ends within the grace period, with exit 1.
  const onSignal = (signal: NodeJS.Signals) => {
    abort.abort(new CancelledError(`stopped by ${signal}`));
    setTimeout(() => {
      printErr(`error: the run did not stop within ${STOP_GRACE_MS / 1000}s of ${signal}; exiting`, 'error');
      process.exit(EXIT.failed);
    }, STOP_GRACE_MS).unref();
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    for (const job of inputs.jobs) {
      const started = Date.now();
      try {
        const summary = await runJob(job, {
          connections: inputs.connections,
          reporter,
          at: opts.at,
          csv: opts.csv,
          record: opts.record,
          dryRun: opts.dryRun,
          shard,
          signal: abort.signal,
          state: opts.state,
          wait: opts.wait,
        });
        reporter.done();
        describe(summary, opts.logFormat === 'json' ? reporter : undefined);
        printSummary(summary, summaryStream);
        setExit(summary.status === 'partial' ? EXIT.partial : EXIT.ok);
      } catch (err) {
        reporter.done();
        const code = handleError(err);
        printSummary(
          {
            job: job.name,
            status: 'failed',
            error: (err as Error).message,
            exit: code,
            seconds: (Date.now() - started) / 1000,
          },
          summaryStream,
        );
      }
    }
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

// With json logs, the funnel is one record with the structured steps, not drawn lines.
function describe(s: RunSummary, jsonLog?: Pick<CliReporter, 'info'>): void {
  if (s.at_note) printErr(`warning: ${s.job}: ${s.at_note}`, 'warn');
  if (s.funnel && jsonLog) {
    jsonLog.info(`${s.job}: dry run at ${s.at}, nothing written`, {
      event: 'funnel',
      job: s.job,
      at: s.at,
      funnel: s.funnel,
    });
    return;
  }
  if (s.funnel) {
    printErr(`${s.job}: dry run at ${s.at}, nothing written`);
    for (const line of funnelBars(s.funnel)) printErr(line);
    return;
  }
  if (s.preview)
    printErr(
      `${s.job}: preview (--csv): nothing recorded in the ledger, so these leads are not in any cooldown; add --record to record them`,
    );
  const unreachable = s.counts.unreachable ? `, ${s.counts.unreachable} unreachable (require)` : '';
  printErr(
    `${s.job}: ${count(s.leads, 'lead')} from ${count(s.counts.rows, 'person')} at ${s.at}${unreachable} in ${s.seconds.toFixed(1)}s`,
  );
  for (const o of s.outputs) {
    const resumed = o.already_delivered
      ? `, ${o.already_delivered} already delivered by an earlier run at this --at`
      : '';
    printErr(
      `  ${o.type} ${o.target}: ${o.delivered} delivered${resumed}${o.failed ? `, ${o.failed} NOT delivered` : ''}`,
    );
  }
  if (s.counts.delivered) printErr(`  ${s.counts.delivered} skipped: delivered within exclude.delivered`);
  if (s.not_delivered)
    printErr(
      `${s.job}: ${count(s.not_delivered, 'lead')} NOT delivered (see crm-leads runs show ${s.run_id}); run again with --at ${s.at} to deliver only those`,
    );
}
