// One run of a job at a time: a second run exits 1 naming the holder, --wait waits for it, and
// the lock of a run that died expires and is taken over (its run is marked interrupted).
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { openStateStore } from '../../src/state/state-store.ts';
import { runCli } from '../support/cli.ts';
import {
  acknowledgedKeys,
  deliveryWorkspace,
  spawnCli,
  until,
  webhookEnv,
  webhookJob,
  type DeliveryWorkspace,
} from '../support/delivery-fixture.ts';
import { startReceiver, type Receiver } from '../support/http-receiver.ts';

let ws: DeliveryWorkspace;
let receiver: Receiver;
beforeAll(async () => {
  ws = await deliveryWorkspace('delivery_lock', 50);
  receiver = await startReceiver();
});
afterAll(async () => {
  await receiver?.close();
  await ws?.close();
});
beforeEach(() => receiver.reset());

const env = () => webhookEnv(receiver.url);

describe('the job lock', () => {
  it('makes a second run exit 1 saying who holds it; with --wait it runs once the first has finished', async () => {
    const job = ws.writeJob('locky', webhookJob({ name: 'locky', concurrency: 1 }));
    // The first run's first batch is answered only once the test lets it go: it holds the lock till then.
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    receiver.script = () => ({ status: 200, after: released });
    const first = spawnCli(['run', job, '--at', '2026-11-20T09:00:00'], { cwd: ws.dir, env: env() });
    await until(() => receiver.requests.length >= 1, 30_000, 'the first run to deliver');

    const second = await runCli(['run', job, '--at', '2026-11-21T09:00:00'], { cwd: ws.dir, env: env() });
    expect(second.code).toBe(1);
    expect(second.stderr).toMatch(
      new RegExp(
        `error: job locky is locked by run \\S+ \\(pid ${first.child.pid} on [^,]+, since .*\\); pass --wait to wait for it`,
      ),
    );
    expect(second.summary).toMatchObject({ job: 'locky', status: 'failed', exit: 1 });

    const waiting = spawnCli(['run', job, '--at', '2026-11-22T09:00:00', '--wait'], { cwd: ws.dir, env: env() });
    await until(() => /waiting for it \(--wait\)/.test(waiting.stderr()), 30_000, 'the --wait run to wait');
    release();
    const firstResult = await first.done;
    expect(firstResult.code).toBe(0);
    const third = await waiting.done;
    expect(third.code, third.stderr).toBe(0);
    expect(third.stderr).toMatch(
      new RegExp(`job locky is locked by run ${firstResult.summary!.run_id} .*; waiting for it \\(--wait\\)`),
    );
    // The waiting run delivered only after the first one had finished.
    const runOf = (r: { body: string }) => JSON.parse(r.body).run_id as string;
    const lastOfFirst = Math.max(
      ...receiver.requests.filter((r) => runOf(r) === firstResult.summary!.run_id).map((r) => r.index),
    );
    const firstOfThird = Math.min(
      ...receiver.requests.filter((r) => runOf(r) === third.summary!.run_id).map((r) => r.index),
    );
    expect(firstOfThird).toBeGreaterThan(lastOfFirst);
    expect(acknowledgedKeys(receiver.requests)).toHaveLength(100);
    // The refused run left no trace in the ledger.
    const runs = JSON.parse((await runCli(['runs', '--job', 'locky', '--json'], { cwd: ws.dir })).stdout) as {
      run_id: string;
    }[];
    expect(runs.map((r) => r.run_id)).toEqual([third.summary!.run_id, firstResult.summary!.run_id]);
  });

  it('expires when its holder died: the next run takes it over, --wait waits for the expiry', async () => {
    const job = ws.writeJob('orphan', webhookJob({ name: 'orphan' }));
    const state = join(ws.dir, 'orphan.db');
    const store = await openStateStore(state);
    const now = Date.now();
    try {
      // A run that died an hour ago: its lock expired long since, its record still says running.
      await store.knex('crm_leads_runs').insert({
        id: 'ghost-1',
        job: 'orphan',
        shard: '',
        at: '2026-11-19T09:00:00Z',
        at_ms: Date.parse('2026-11-19T09:00:00Z'),
        status: 'running',
        started_ms: now - 3_600_000,
      });
      await store.knex('crm_leads_locks').insert({
        name: 'orphan',
        run_id: 'ghost-1',
        holder: 'pid 4242 on elsewhere',
        acquired_ms: now - 3_600_000,
        expires_ms: now - 3_540_000,
      });
    } finally {
      await store.close();
    }
    const taken = await runCli(['run', job, '--at', '2026-11-20T09:00:00', '--state', state], {
      cwd: ws.dir,
      env: env(),
    });
    expect(taken.code, taken.stderr).toBe(0);
    expect(taken.stderr).toMatch(/took over the expired lock of run ghost-1/);
    const ghost = JSON.parse(
      (await runCli(['runs', 'show', 'ghost-1', '--json', '--state', state], { cwd: ws.dir })).stdout,
    );
    expect(ghost).toMatchObject({ status: 'interrupted', error: expect.stringMatching(/stopped without finishing/) });

    // A lock still valid for a few seconds: refused without --wait, taken over at expiry with it.
    const again = await openStateStore(state);
    try {
      await again.knex('crm_leads_locks').insert({
        name: 'orphan',
        run_id: 'ghost-2',
        holder: 'pid 4343 on elsewhere',
        acquired_ms: Date.now(),
        expires_ms: Date.now() + 6_000,
      });
    } finally {
      await again.close();
    }
    const refused = await runCli(['run', job, '--at', '2026-11-21T09:00:00', '--state', state], {
      cwd: ws.dir,
      env: env(),
    });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(
      /job orphan is locked by run ghost-2 \(pid 4343 on elsewhere, since .*; the lock expires in \ds unless renewed\)/,
    );
    const waited = await runCli(['run', job, '--at', '2026-11-21T09:00:00', '--state', state, '--wait'], {
      cwd: ws.dir,
      env: env(),
    });
    expect(waited.code, waited.stderr).toBe(0);
    expect(waited.stderr).toMatch(/took over the expired lock of run ghost-2/);
  });
});
