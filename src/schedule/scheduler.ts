// The scheduler behind `crm-leads schedule`: one node-cron task per job, in the job's timezone.
// A tick whose job is still running (or still waiting for a slot) is skipped and logged, never
// queued twice: a slow run must not pile up runs behind it. At most `concurrency` runs at once;
// the others wait in tick order. Prints nothing itself: it logs through the CLI's reporter.
import cron, { type ScheduledTask } from 'node-cron';
import { DateTime } from 'luxon';
import { CancelledError } from '../errors.ts';
import type { Job } from '../config/load-job.ts';
import { setLongTimeout, type LongTimeout } from '../long-timers.ts';

type Fields = Record<string, unknown>;

export interface ScheduleLog {
  info(message: string, fields?: Fields): void;
  warn(message: string, fields?: Fields): void;
  error(message: string, fields?: Fields): void;
}

/** What a finished run reports back, for the log line. */
export interface RunResult {
  status: string;
  fields?: Fields;
}

export interface SchedulerOptions {
  concurrency: number;
  log: ScheduleLog;
  /** Runs one job at its tick's time; must stop soon after `signal` aborts. */
  run(job: Job, at: Date, signal: AbortSignal): Promise<RunResult>;
}

interface ActiveRun {
  job: Job;
  at: Date;
  controller: AbortController;
  settled: Promise<void>;
  /** Set when the run ends: whether it completed or threw (failed, or stopped by the abort). */
  outcome?: 'completed' | 'threw';
}

export interface ShutdownResult {
  finished: string[];
  /** `settled`: the run stopped on its abort (it recorded itself); otherwise it is still stuck. */
  interrupted: { job: Job; at: Date; settled: boolean }[];
}

// After the grace period the runs are aborted; this is how long they get to stop cleanly
// (close connections, roll back, write their ledger record) before the scheduler exits anyway.
const ABORT_SETTLE_MS = 5_000;

export class Scheduler {
  private readonly tasks = new Map<string, { job: Job; task: ScheduledTask }>();
  private readonly running = new Map<string, ActiveRun>();
  private readonly waiting: { job: Job; at: Date }[] = [];
  private stopping = false;

  constructor(private readonly options: SchedulerOptions) {}

  /** Replaces the scheduled jobs (start and reload): unchanged tasks keep ticking. */
  setJobs(jobs: Job[]): { added: string[]; changed: string[]; removed: string[] } {
    const next = new Map(jobs.map((job) => [job.name, job]));
    const report = { added: [] as string[], changed: [] as string[], removed: [] as string[] };
    for (const [name, entry] of this.tasks) {
      if (next.has(name)) continue;
      void entry.task.destroy();
      this.tasks.delete(name);
      report.removed.push(name);
    }
    for (const job of jobs) {
      const entry = this.tasks.get(job.name);
      if (entry && entry.job.schedule === job.schedule && entry.job.timezone === job.timezone) {
        // Same timing: the running task picks up the new version at its next tick.
        if (JSON.stringify(entry.job) !== JSON.stringify(job)) report.changed.push(job.name);
        entry.job = job;
        continue;
      }
      if (entry) {
        void entry.task.destroy();
        report.changed.push(job.name);
      } else report.added.push(job.name);
      this.tasks.set(job.name, { job, task: this.createTask(job) });
    }
    return report;
  }

  /** Each job with its next run time in its own timezone, for the start-up listing. */
  nextRuns(): { job: Job; next: string | null }[] {
    return [...this.tasks.values()].map(({ job, task }) => {
      const next = task.getNextRun();
      return { job, next: next && localIso(next, job) };
    });
  }

  get activeRuns(): number {
    return this.running.size;
  }

  /**
   * Stops ticking, drops runs still waiting for a slot, lets running ones finish for up to
   * `graceMs`, then aborts the rest and returns them as interrupted.
   */
  async shutdown(graceMs: number): Promise<ShutdownResult> {
    this.stopping = true;
    for (const { task } of this.tasks.values()) void task.destroy();
    this.tasks.clear();
    for (const w of this.waiting.splice(0))
      this.options.log.warn(`${w.job.name}: not started, the scheduler is stopping`, {
        job: w.job.name,
        event: 'dropped',
      });
    const result: ShutdownResult = { finished: [], interrupted: [] };
    if (this.running.size === 0) return result;
    const runs = [...this.running.values()];
    const names = runs.map((r) => r.job.name);
    this.options.log.info(`waiting up to ${graceMs / 1000}s for ${names.join(', ')} to finish`, {
      event: 'grace',
      jobs: names,
      grace_seconds: graceMs / 1000,
    });
    await settleWithin(
      runs.map((r) => r.settled),
      graceMs,
    );
    await this.abortAll([...this.running.values()], `the grace period (${graceMs / 1000}s) ended`);
    // A run that completed, even just after the abort, delivered everything: it is not cut short.
    for (const r of runs) {
      if (r.outcome === 'completed') result.finished.push(r.job.name);
      else result.interrupted.push({ job: r.job, at: r.at, settled: r.outcome !== undefined });
    }
    return result;
  }

  /** A second SIGINT/SIGTERM: abort whatever runs now, without waiting for the grace period. */
  async interruptNow(): Promise<void> {
    await this.abortAll([...this.running.values()], 'a second signal arrived');
  }

  private async abortAll(runs: ActiveRun[], why: string): Promise<void> {
    for (const r of runs) r.controller.abort(new CancelledError(`interrupted: ${why}`));
    await settleWithin(
      runs.map((r) => r.settled),
      ABORT_SETTLE_MS,
    );
  }

  private createTask(job: Job): ScheduledTask {
    const task = cron.createTask(job.schedule!, (ctx) => this.tick(job.name, ctx.date), {
      name: job.name,
      timezone: job.timezone,
      logger: {
        info: () => {},
        debug: () => {},
        warn: (m) => this.options.log.warn(`${job.name}: ${m}`, { job: job.name }),
        error: (m) => this.options.log.error(`${job.name}: ${m instanceof Error ? m.message : m}`, { job: job.name }),
      },
    });
    void task.start();
    return task;
  }

  private tick(name: string, at: Date): void {
    const entry = this.tasks.get(name);
    if (this.stopping || !entry) return;
    const job = entry.job;
    const fields = { job: name, at: localIso(at, job) };
    const active = this.running.get(name);
    if (active) {
      this.options.log.warn(
        `${name}: tick at ${fields.at} skipped, the run of ${localIso(active.at, job)} is still running`,
        { ...fields, event: 'skipped', reason: 'running' },
      );
    } else if (this.waiting.some((w) => w.job.name === name)) {
      this.options.log.warn(`${name}: tick at ${fields.at} skipped, a run is still waiting for a free slot`, {
        ...fields,
        event: 'skipped',
        reason: 'waiting',
      });
    } else if (this.running.size < this.options.concurrency) {
      this.start(job, at);
    } else {
      this.waiting.push({ job, at });
      this.options.log.info(`${name}: waiting for a free slot (--concurrency ${this.options.concurrency})`, {
        ...fields,
        event: 'waiting',
      });
    }
  }

  private start(job: Job, at: Date): void {
    const controller = new AbortController();
    const fields = { job: job.name, at: localIso(at, job) };
    const started = Date.now();
    this.options.log.info(`${job.name}: run started for ${fields.at}`, { ...fields, event: 'started' });
    const active: ActiveRun = { job, at, controller, settled: Promise.resolve() };
    active.settled = this.options
      .run(job, at, controller.signal)
      .then(
        (result) => {
          active.outcome = 'completed';
          this.options.log.info(`${job.name}: run finished (${result.status}) in ${seconds(started)}s`, {
            ...fields,
            ...result.fields,
            event: 'finished',
            status: result.status,
            seconds: seconds(started),
          });
        },
        (err: unknown) => {
          active.outcome = 'threw';
          // A failed run is logged and the scheduler carries on: the next tick tries again.
          const event = controller.signal.aborted ? 'interrupted' : 'failed';
          this.options.log.error(`${job.name}: run ${event}: ${(err as Error)?.message ?? String(err)}`, {
            ...fields,
            event,
            seconds: seconds(started),
          });
        },
      )
      .finally(() => {
        this.running.delete(job.name);
        this.startWaiting();
      });
    this.running.set(job.name, active);
  }

  private startWaiting(): void {
    while (!this.stopping && this.waiting.length > 0 && this.running.size < this.options.concurrency) {
      const next = this.waiting.shift()!;
      this.start(next.job, next.at);
    }
  }
}

/** A tick's time as the job sees it: ISO 8601 in the job's timezone. */
export const localIso = (date: Date, job: Job) =>
  DateTime.fromJSDate(date, { zone: job.timezone }).toISO({ suppressMilliseconds: true })!;

/** Waits for every promise or for `ms`, whichever comes first; the timer never outlives it. */
async function settleWithin(promises: Promise<void>[], ms: number): Promise<void> {
  let timer: LongTimeout | undefined;
  try {
    await Promise.race([Promise.all(promises), new Promise<void>((resolve) => (timer = setLongTimeout(resolve, ms)))]);
  } finally {
    timer?.clear();
  }
}
const seconds = (since: number) => Number(((Date.now() - since) / 1000).toFixed(1));
