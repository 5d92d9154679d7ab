// A run's claims on people (issue 12's caps) last as long as the run: every beat of its job lock
// pushes their expiry CLAIM_TTL_MS ahead, so a run longer than the TTL still holds the people
// it is sending to; once the lock is released (or the process dies) the beats stop and the
// claims expire. Real SQLite ledger, real lock beats (a 400 ms lock TTL beats every 100 ms).
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { acquireJobLock } from '../../src/state/locks.ts';
import { TABLES } from '../../src/state/schema.ts';
import { openStateStore, type StateStore } from '../../src/state/state-store.ts';
import { CLAIM_TTL_MS, claim } from '../../src/state/touches.ts';

describe('claims live as long as their run', () => {
  let store: StateStore;
  beforeAll(async () => {
    store = await openStateStore(join(mkdtempSync(join(tmpdir(), 'crm-leads-claims-')), 'state.db'));
  });
  afterAll(async () => store?.close());

  const expiries = async (runId: string) =>
    ((await store.knex(TABLES.touches).where({ run_id: runId }).select('expires_ms')) as { expires_ms: number }[]).map(
      (r) => Number(r.expires_ms),
    );

  it('the lock beats renew the run’s claims; after release they are left to expire', async () => {
    const started = Date.now();
    const scope = { job: 'long-run', runId: 'run-long', atMs: started, startedMs: started };
    // Claimed almost a whole TTL ago: without a renewal they would expire in one second.
    await claim(store, scope, [{ key: '1', channel: 'sms' }], started - CLAIM_TTL_MS + 1000);
    await claim(store, { ...scope, runId: 'run-other' }, [{ key: '2', channel: 'sms' }], started - CLAIM_TTL_MS + 1000);
    const lock = await acquireJobLock(store, 'long-run', { runId: 'run-long', ttlMs: 400 });
    await sleep(350);
    const renewed = await expiries('run-long');
    expect(renewed[0]).toBeGreaterThanOrEqual(started + CLAIM_TTL_MS);
    // Another run's claims are not this lock's to renew.
    expect((await expiries('run-other'))[0]).toBeLessThan(started + 1000 + 1);
    await lock.release();
    const afterRelease = await expiries('run-long');
    await sleep(250);
    expect(await expiries('run-long')).toEqual(afterRelease);
  });
});
