// The loop of one job in `crm-leads watch` (issue 11): ticks at t0 + every, t0 + 2·every, …;
// each tick asks the pipeline for the slice [watermark, t - lateness) (tick.ts). Every job has
// its own watcher, so one job's slow query never delays another's ticks.
//
// - --from T (--until T2): ticks are T + k·every, run one after another without sleeping while
//   they are in the past, exactly as they would have run live; a tick in the future (also of a
//   --from/--until period that has not come yet) waits until due; the first watermark is
//   T - lateness, whatever is stored. Without --from: the stored watermark, or on the very first
//   start (now - start) - lateness.
// - A failed tick (warehouse down, receiver gone) leaves the watermark where it was: one log
//   line, then the same slice is retried after a backoff (1s·2^n up to 60s), never an exit.
// - `stop` (SIGTERM/SIGINT) ends the loop between ticks: a running tick finishes and records
//   itself first. `interrupt` (a second signal, the end of the grace period, a lost lock) aborts
//   the running tick: logged as interrupted, its watermark not moved.
import { firstLine } from '../state/state-store.ts';
import type { StateStore } from '../state/state-store.ts';
import { acquireJobLock, describeHolder, type JobLock } from '../state/locks.ts';
import { markAbandonedRuns } from '../state/runs.ts';
import { settleTouches } from '../state/touches.ts';
import { commitTick, readWatermark, type Watermark } from '../state/watermarks.ts';
import type { Connections } from '../config/load-connections.ts';
import type { Job } from '../config/load-job.ts';
import type { Reporter } from '../run/reporter.ts';
import { openWarehouse } from '../warehouses/open-warehouse.ts';
import type { Warehouse } from '../warehouses/warehouse.ts';
import { holdsMayBeDue } from './hold-check.ts';
import { realtimeOf, runTick, WATCH_SHARD, type TickSummary } from './tick.ts';
import { randomBytes } from 'node:crypto';
import { sleep } from '../long-timers.ts';

export interface WatchLog extends Reporter {
  error(message: string, fields?: Record<string, unknown>): void;
}

export interface WatcherOptions {
  store: StateStore;
  /** The current connections (SIGHUP may reload them). */
  connections: () => Connections;
  log: WatchLog;
  /** --from and --until, Unix ms. */
  fromMs?: number;
  untilMs?: number;
  /** Called after each committed tick. */
  onTick(summary: TickSummary): void;
  now?: () => number;
}

const MAX_BACKOFF_MS = 60_000;
// Ticks that deliver nothing store their watermark at most this often (and on exit): a crash
// then re-decides at most this much wall time of empty slices, which delivers nothing new.
const SAVE_EMPTY_EVERY_MS = 1_000;

/** Retry delay after `failures` failed ticks in a row: every·2^(n-1), at least 1s, at most 60s. */
export function backoffMs(failures: number, everySeconds: number): number {
  return Math.min(MAX_BACKOFF_MS, Math.max(1000, everySeconds * 1000) * 2 ** Math.min(failures - 1, 16));
}

export class JobWatcher {
  private lock?: JobLock;
  private warehouse?: Warehouse;
  /** The connection spec `warehouse` was opened with (JSON), to see a SIGHUP change it. */
  private warehouseSpec?: string;
  private watermarkMs = 0;
  /** The watermark of the last ticks that delivered nothing, not yet written (see deferEmptyCommit). */
  private unsaved?: Watermark;
  private savedAtMs = 0;
  private tickMs = 0;
  /** The tick time up to which held leads were looked for (undefined: not yet in this process). */
  private holdsCheckedMs?: number;
  private readonly now: () => number;

  /** The job as last loaded: SIGHUP replaces it, the next tick uses it. */
  constructor(
    public job: Job,
    private readonly options: WatcherOptions,
  ) {
    this.now = options.now ?? Date.now;
  }

  /**
   * Takes the job's watch lock (waiting while another watcher holds it: after a kill -9 its lock
   * expires by itself, $CRM_LEADS_LOCK_TTL) and finds the first watermark.
   * Throws CancelledError if `signal` aborts while waiting.
   */
  async start(signal?: AbortSignal): Promise<void> {
    const { store, log } = this.options;
    const name = this.job.name;
    this.lock = await acquireJobLock(store, `${name}#${WATCH_SHARD}`, {
      runId: `watch-${process.pid}-${randomBytes(3).toString('hex')}`,
      wait: true,
      signal,
      onWait: (holder) =>
        log.info(`${describeHolder(`${name} (watch)`, holder)}; waiting for it`, {
          job: name,
          event: 'lock_wait',
          holder: holder.runId,
        }),
    });
    const dead = await markAbandonedRuns(store, name, WATCH_SHARD);
    // A tick that died between claiming people (caps) and delivering to them would otherwise
    // keep them claimed for CLAIM_TTL_MS: long enough for the restarted watcher to count its own
    // claims against the same leads, decide them as capped and move the watermark past them.
    // Holding the watch lock, no tick of this job is alive: release what the dead ones claimed.
    for (const run of dead) await settleTouches(store, run.id, 'failed');
    if (dead.length > 0)
      log.warn(
        `${name}: ${dead.length === 1 ? 'tick' : 'ticks'} ${dead.map((r) => r.id).join(', ')} stopped without finishing; marked interrupted`,
        {
          job: name,
          event: 'abandoned_runs',
          runs: dead.map((r) => r.id),
        },
      );
    const rt = realtimeOf(this.job);
    const base = wholeSecond(this.options.fromMs ?? this.now());
    const stored = await readWatermark(store, name);
    // --from starts from T even when a watermark is stored.
    if (this.options.fromMs !== undefined) this.watermarkMs = base - rt.lateness * 1000;
    else this.watermarkMs = stored ? stored.ms : base - (rt.start + rt.lateness) * 1000;
    this.tickMs = base + rt.every * 1000;
    log.info(
      `${name}: watching every ${rt.every}s, lateness ${rt.lateness}s, from watermark ${new Date(this.watermarkMs).toISOString()}${stored && this.options.fromMs === undefined ? ' (stored)' : ''}`,
      {
        job: name,
        event: 'watching',
        every: rt.every,
        lateness: rt.lateness,
        watermark_ms: this.watermarkMs,
        first_tick_ms: this.tickMs,
      },
    );
  }

  /** Ticks until `stop` aborts or --until is passed. */
  async run(stop: AbortSignal, interrupt: AbortSignal): Promise<void> {
    const startedMs = this.now();
    const signal = this.lock ? AbortSignal.any([interrupt, this.lock.lost]) : interrupt;
    let failures = 0;
    try {
      while (!stop.aborted && !signal.aborted) {
        const { untilMs } = this.options;
        if (untilMs !== undefined && this.tickMs > untilMs) break;
        const wait = this.tickMs - this.now();
        if (wait > 0) await sleep(wait, stop).catch(() => {});
        if (stop.aborted) break;
        const job = this.job;
        const every = realtimeOf(job).every * 1000;
        try {
          const checkHolds = holdsMayBeDue(job, this.holdsCheckedMs, this.tickMs);
          const summary = await this.tick(job, signal, checkHolds);
          failures = 0;
          // Until a tick succeeds, a quiet period that ended stays to be looked at; so it does
          // after a tick with an empty slice (its watermark was already there: it read nothing).
          if (summary.slice.to !== summary.slice.from) this.holdsCheckedMs = this.tickMs;
          this.watermarkMs = summary.watermark.ms;
          this.unsaved = summary.committed ? undefined : summary.watermark;
          if (summary.committed) this.savedAtMs = Date.now();
          else if (Date.now() - this.savedAtMs >= SAVE_EMPTY_EVERY_MS) await this.saveWatermark();
          this.options.onTick(summary);
          this.tickMs += every;
          // Live and behind (ticks slower than `every`): the next tick takes the whole gap.
          // Replays (--until, or --from ticks in the past) keep every tick time exact.
          if (untilMs === undefined && this.tickMs >= startedMs && this.tickMs < this.now() - every)
            this.tickMs = wholeSecond(this.now());
        } catch (err) {
          if (signal.aborted) {
            this.options.log.warn(
              `${job.name}: tick at ${new Date(this.tickMs).toISOString()} interrupted (${firstLine(err)}); the watermark stays at ${new Date(this.watermarkMs).toISOString()}`,
              { job: job.name, event: 'tick_interrupted', tick_ms: this.tickMs },
            );
            break;
          }
          failures++;
          await this.closeWarehouse();
          const delay = backoffMs(failures, every / 1000);
          this.options.log.error(
            `${job.name}: tick at ${new Date(this.tickMs).toISOString()} failed (${firstLine(err)}); the watermark stays at ${new Date(this.watermarkMs).toISOString()}; retrying in ${delay / 1000}s`,
            { job: job.name, event: 'tick_failed', tick_ms: this.tickMs, failures, retry_in_ms: delay },
          );
          await sleep(delay, stop).catch(() => {});
          if (untilMs === undefined) this.tickMs = Math.max(this.tickMs, wholeSecond(this.now()));
        }
      }
    } finally {
      await this.saveWatermark().catch((err) =>
        this.options.log.error(`${this.job.name}: could not store the watermark on exit (${firstLine(err)})`, {
          job: this.job.name,
          event: 'watermark_not_saved',
        }),
      );
      await this.close();
    }
  }

  private async saveWatermark(): Promise<void> {
    if (!this.unsaved) return;
    await commitTick(this.options.store, { job: this.job.name, watermark: this.unsaved });
    this.unsaved = undefined;
    this.savedAtMs = Date.now();
  }

  /** Releases the warehouse and the lock (also for a watcher that never ran). Idempotent. */
  async close(): Promise<void> {
    await this.closeWarehouse();
    const lock = this.lock;
    this.lock = undefined;
    await lock?.release().catch(() => {});
  }

  private async tick(job: Job, signal: AbortSignal, checkHolds: boolean): Promise<TickSummary> {
    const connections = this.options.connections();
    const spec = connections.byName.get(job.source);
    if (!spec) throw new Error(`connection "${job.source}" is not in ${connections.file}`);
    // SIGHUP may have changed the connection (host, port, read_timeout...): reopen it with the
    // new spec rather than keep reading through the old one.
    const specText = JSON.stringify(spec);
    if (this.warehouse && this.warehouseSpec !== specText) {
      this.options.log.info(`${job.name}: connection "${job.source}" changed; reopening it`, {
        job: job.name,
        event: 'reconnect',
        connection: job.source,
      });
      await this.closeWarehouse();
    }
    if (!this.warehouse) {
      this.warehouse = await openWarehouse(job.source, spec);
      this.warehouseSpec = specText;
    }
    return runTick(job, {
      connections,
      store: this.options.store,
      warehouse: this.warehouse,
      reporter: this.options.log,
      tickMs: this.tickMs,
      watermarkMs: this.watermarkMs,
      signal,
      deferEmptyCommit: true,
      checkHolds,
    });
  }

  private async closeWarehouse(): Promise<void> {
    const w = this.warehouse;
    this.warehouse = undefined;
    await w?.close().catch(() => {});
  }
}

const wholeSecond = (ms: number) => Math.floor(ms / 1000) * 1000;
