// A run that ignored its abort (a driver stuck in a network call) is still marked `running`
// when the scheduler exits. It is this process's own run, so it is recorded as interrupted
// now, and its lock released, rather than waiting for the next run to find it abandoned after
// the lock's expiry. Only rows of this pid on this host are touched: other workers sharing the
// ledger keep theirs.
import { hostname } from 'node:os';
import { TABLES } from '../state/schema.ts';
import type { StateStore } from '../state/state-store.ts';

export async function recordStuckRunsInterrupted(store: StateStore, jobs: string[], why: string): Promise<number> {
  if (jobs.length === 0) return 0;
  const mine = store
    .knex(TABLES.runs)
    .whereIn('job', jobs)
    .where({ status: 'running', pid: process.pid, host: hostname().slice(0, 255) });
  const ids = (await mine.clone().select('id')).map((r: { id: string }) => r.id);
  if (ids.length === 0) return 0;
  await store
    .knex(TABLES.runs)
    .whereIn('id', ids)
    .update({ status: 'interrupted', error: why, finished_ms: Date.now() });
  await store.knex(TABLES.locks).whereIn('run_id', ids).delete();
  return ids.length;
}
