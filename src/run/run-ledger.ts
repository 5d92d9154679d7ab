// A run's life in the ledger: take the job's lock (or wait for it), clean up after a run that
// died, record the start, answer "who was delivered in the window", record the end, release.
import type { Shard } from '../plan/plan.ts';
import { type RunTime, windowStart } from '../plan/time.ts';
import type { Job } from '../config/load-job.ts';
import { deliveredInWindow, discardAbandonedPending } from '../state/deliveries.ts';
import { acquireJobLock, describeHolder, type JobLock } from '../state/locks.ts';
import { finishRun, markAbandonedRuns, startRun, type RunEnd } from '../state/runs.ts';
import { openExistingStateStore, openStateStore, type StateStore } from '../state/state-store.ts';
import type { Reporter } from './reporter.ts';

export interface LedgerOptions {
  /** --state: sqlite path, mysql:// or postgres:// URL; default $CRM_LEADS_STATE or .crm-leads/state.db. */
  state?: string;
  /** An open ledger to use instead (a scheduler shares one); it is not closed here. */
  stateStore?: StateStore;
  wait?: boolean;
  signal?: AbortSignal;
  shard?: Shard;
  reporter: Reporter;
}

export interface RunLedger {
  readonly store: StateStore;
  /** Aborted if another run took the lock over (this process stalled past the lock's expiry). */
  readonly lockLost: AbortSignal;
  end(end: RunEnd): Promise<void>;
  close(): Promise<void>;
}

export async function beginRun(job: Job, at: RunTime, runId: string, options: LedgerOptions): Promise<RunLedger> {
  const store = options.stateStore ?? (await openStateStore(options.state));
  const ownStore = !options.stateStore;
  const shard = options.shard ? `${options.shard.index}/${options.shard.count}` : '';
  // Shards of one job run side by side: each shard has its own lock.
  const lockName = shard ? `${job.name}#${shard}` : job.name;
  let lock: JobLock | undefined;
  try {
    lock = await acquireJobLock(store, lockName, {
      runId,
      wait: options.wait,
      signal: options.signal,
      onWait: (holder) =>
        options.reporter.info(`${describeHolder(lockName, holder)}; waiting for it (--wait)`, {
          job: job.name,
          event: 'lock_wait',
          holder: holder.runId,
        }),
    });
    if (lock.tookOverFrom)
      options.reporter.warn(`${job.name}: took over the expired lock of run ${lock.tookOverFrom}`, {
        job: job.name,
        event: 'lock_takeover',
        previous_run: lock.tookOverFrom,
      });
    // Holding the lock, any run of this job (and shard) still marked running has died.
    const abandoned = await markAbandonedRuns(store, job.name, shard);
    if (abandoned.length > 0) {
      const ids = abandoned.map((r) => r.id);
      options.reporter.warn(
        `${job.name}: earlier run(s) ${ids.join(', ')} stopped without finishing; marked interrupted`,
        { job: job.name, event: 'abandoned_runs', runs: ids },
      );
    }
    await discardAbandonedPending(store, job.name);
    await startRun(store, { id: runId, job: job.name, shard, at: at.iso, atMs: at.epochMs });
  } catch (err) {
    await lock?.release().catch(() => {});
    if (ownStore) await store.close().catch(() => {});
    throw err;
  }
  const held = lock;
  return {
    store,
    lockLost: held.lost,
    end: (end) => finishRun(store, runId, end),
    async close() {
      try {
        await held.release();
      } catch (err) {
        // The run itself is recorded; a lock left behind only delays the next run until it expires.
        options.reporter.warn(
          `${job.name}: could not release the lock (${(err as Error).message}); it expires by itself`,
          { job: job.name, event: 'lock_release_failed' },
        );
      } finally {
        if (ownStore) await store.close().catch(() => {});
      }
    },
  };
}

/** exclude.delivered: the people to skip, from the ledger; undefined when the job has no such rule. */
export async function loadDeliveredKeys(
  job: Job,
  at: RunTime,
  store: StateStore | undefined,
): Promise<Set<string> | undefined> {
  const rules = job.exclude.delivered;
  if (!rules) return undefined;
  if (!store) return new Set();
  const keys = new Set<string>();
  for (const rule of rules) {
    for (const key of await deliveredInWindow(store, {
      job: rule.scope === 'job' ? job.name : undefined,
      fromMs: windowStart(at, rule.within).epochMs,
      toMs: at.epochMs,
      // Beyond this job, the slot's other jobs at the same `at` count; this job's own are a re-run's.
      sameAtExceptJob: rule.scope === 'job' ? undefined : job.name,
    }))
      keys.add(key);
  }
  return keys;
}

/** A dry run reads the ledger (for the delivered step of the funnel) but never creates one. */
export async function withExistingLedger<T>(
  options: Pick<LedgerOptions, 'state' | 'stateStore'>,
  fn: (store: StateStore | undefined) => Promise<T>,
): Promise<T> {
  if (options.stateStore) return fn(options.stateStore);
  const store = await openExistingStateStore(options.state);
  try {
    return await fn(store);
  } finally {
    await store?.close();
  }
}
