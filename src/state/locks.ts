// One run of a job at a time, across every worker that shares the ledger: a lock row per job
// (per job and shard) with an expiry that the holder keeps pushing forward (heartbeat). A run
// that dies stops renewing, so its lock expires and the next run takes it over. Expiry uses
// each worker's clock: keep workers' clocks within a few seconds of each other (NTP).
import { hostname } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { CancelledError, LockedError, RunError } from '../errors.ts';
import { parseDuration } from '../config/duration.ts';
import { TABLES } from './schema.ts';
import { ledgerCause, type StateStore } from './state-store.ts';
import { renewTouches } from './touches.ts';

export const DEFAULT_LOCK_TTL_MS = 60_000;

export interface LockHolder {
  runId: string;
  holder: string;
  acquiredMs: number;
  expiresMs: number;
}

export interface JobLock {
  /** Aborted if the lock was lost (taken over after this process stalled past its expiry). */
  readonly lost: AbortSignal;
  /** When the lock was taken over from a run that died, that run's id. */
  readonly tookOverFrom?: string;
  release(): Promise<void>;
}

export interface AcquireOptions {
  runId: string;
  wait?: boolean;
  signal?: AbortSignal;
  ttlMs?: number;
  /** Called once when --wait starts waiting, with who holds the lock. */
  onWait?: (holder: LockHolder) => void;
}

/** $CRM_LEADS_LOCK_TTL (seconds, or a duration such as 2m): how long a silent holder keeps its lock. */
export function lockTtlMs(env = process.env): number {
  const text = env.CRM_LEADS_LOCK_TTL?.trim();
  if (!text) return DEFAULT_LOCK_TTL_MS;
  const seconds = /^\d+(\.\d+)?$/.test(text) ? Number(text) : parseDuration(text);
  return seconds && seconds > 0 ? seconds * 1000 : DEFAULT_LOCK_TTL_MS;
}

export function describeHolder(name: string, h: LockHolder, now = Date.now()): string {
  const since = new Date(h.acquiredMs).toISOString().replace(/\.\d{3}Z$/, 'Z');
  return `job ${name} is locked by run ${h.runId} (${h.holder}, since ${since}; the lock expires in ${Math.max(0, Math.ceil((h.expiresMs - now) / 1000))}s unless renewed)`;
}

export async function acquireJobLock(store: StateStore, name: string, options: AcquireOptions): Promise<JobLock> {
  const ttlMs = options.ttlMs ?? lockTtlMs();
  const holder = `pid ${process.pid} on ${hostname()}`.slice(0, 255);
  let waiting = false;
  for (;;) {
    if (options.signal?.aborted) throw new CancelledError(`cancelled while waiting for the lock of job ${name}`);
    const attempt = await tryAcquire(store, name, options.runId, holder, ttlMs);
    if (attempt.acquired) return heldLock(store, name, options.runId, ttlMs, attempt.tookOverFrom);
    if (!options.wait) throw new LockedError(`${describeHolder(name, attempt.holder)}; pass --wait to wait for it`);
    if (!waiting) options.onWait?.(attempt.holder);
    waiting = true;
    // Poll about once a second, sooner when the lock is about to expire.
    const untilExpiry = attempt.holder.expiresMs - Date.now() + 50;
    await sleep(Math.max(50, Math.min(1000, untilExpiry)) + Math.random() * 100, undefined, {
      signal: options.signal,
    }).catch(() => {});
  }
}

type Attempt = { acquired: true; tookOverFrom?: string } | { acquired: false; holder: LockHolder };

async function tryAcquire(
  store: StateStore,
  name: string,
  runId: string,
  holder: string,
  ttlMs: number,
): Promise<Attempt> {
  const k = store.knex;
  const now = Date.now();
  try {
    await k(TABLES.locks).insert({ name, run_id: runId, holder, acquired_ms: now, expires_ms: now + ttlMs });
    return { acquired: true };
  } catch (err) {
    if (!isDuplicateKey(err))
      throw new RunError(
        `state ${store.display}: cannot take the lock of job ${name}: ${ledgerCause(store.display, err)}`,
        {
          cause: err,
        },
      );
  }
  const row = await k(TABLES.locks).where({ name }).first();
  if (!row) return tryAcquire(store, name, runId, holder, ttlMs); // released meanwhile
  const current: LockHolder = {
    runId: String(row.run_id),
    holder: String(row.holder),
    acquiredMs: Number(row.acquired_ms),
    expiresMs: Number(row.expires_ms),
  };
  if (current.expiresMs > now) return { acquired: false, holder: current };
  // Expired: take it over, compare-and-set on the row as read, so two takers cannot both win.
  const taken = await k(TABLES.locks)
    .where({ name, run_id: current.runId, expires_ms: row.expires_ms })
    .update({ run_id: runId, holder, acquired_ms: now, expires_ms: now + ttlMs });
  if (Number(taken) === 1) return { acquired: true, tookOverFrom: current.runId };
  return tryAcquire(store, name, runId, holder, ttlMs);
}

function heldLock(store: StateStore, name: string, runId: string, ttlMs: number, tookOverFrom?: string): JobLock {
  const lost = new AbortController();
  let expiresMs = Date.now() + ttlMs;
  let renewing: Promise<void> = Promise.resolve();
  const renew = async () => {
    const now = Date.now();
    try {
      const n = await store
        .knex(TABLES.locks)
        .where({ name, run_id: runId })
        .update({ expires_ms: now + ttlMs });
      if (Number(n) === 1) {
        expiresMs = now + ttlMs;
        // The run's claims on people (frequency caps) live as long as the run does.
        await renewTouches(store, runId, now);
      } else
        lost.abort(
          new RunError(
            `lost the lock of job ${name}: another run took it over after it expired (this process stalled for more than ${ttlMs / 1000}s)`,
          ),
        );
    } catch (err) {
      // A ledger hiccup is retried at the next beat; only an expired lock stops the run.
      if (Date.now() > expiresMs)
        lost.abort(new RunError(`lost the lock of job ${name}: could not renew it (${(err as Error).message})`));
    }
  };
  const timer = setInterval(() => (renewing = renew()), Math.max(100, Math.floor(ttlMs / 4)));
  timer.unref();
  return {
    lost: lost.signal,
    tookOverFrom,
    async release() {
      clearInterval(timer);
      await renewing;
      await store.knex(TABLES.locks).where({ name, run_id: runId }).delete();
    },
  };
}

function isDuplicateKey(err: unknown): boolean {
  const e = err as { code?: string; errno?: number };
  return e.code === '23505' || e.code === 'ER_DUP_ENTRY' || e.errno === 1062 || /^SQLITE_CONSTRAINT/.test(e.code ?? '');
}
