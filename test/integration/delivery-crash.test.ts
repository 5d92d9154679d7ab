// kill -9 in the middle of a webhook delivery, on a real child process; the re-run with the same
// --at delivers every lead, none twice, except batches that were in flight when the process
// died: those are resent whole, with the same Idempotency-Key.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.ts';
import {
  acknowledgedKeys,
  deliveryWorkspace,
  range,
  spawnCli,
  until,
  webhookEnv,
  webhookJob,
  type DeliveryWorkspace,
} from '../support/delivery-fixture.ts';
import { leadsOf, startReceiver, type Receiver, type ReceivedRequest } from '../support/http-receiver.ts';

const AT = '2026-11-20T09:00:00';
const PEOPLE = 600;
const BATCH = 20;
const CONCURRENCY = 3;

let ws: DeliveryWorkspace;
let receiver: Receiver;
beforeAll(async () => {
  ws = await deliveryWorkspace('delivery_crash', PEOPLE);
  receiver = await startReceiver(() => ({ status: 200, delayMs: 60 }));
});
afterAll(async () => {
  await receiver?.close();
  await ws?.close();
});

describe('a run killed with SIGKILL', () => {
  it('is resumed by the next run with the same --at: every lead delivered, only in-flight batches resent with their key', async () => {
    const job = ws.writeJob('crash', webhookJob({ name: 'crash', batchSize: BATCH, concurrency: CONCURRENCY }));
    // A short lock expiry, so that the re-run can take the dead run's lock over within seconds.
    const env = { ...webhookEnv(receiver.url), CRM_LEADS_LOCK_TTL: '2' };
    const first = spawnCli(['run', job, '--at', AT], { cwd: ws.dir, env });
    await until(() => receiver.acknowledged.length >= 8, 30_000, 'eight acknowledged batches');
    first.child.kill('SIGKILL');
    const killed = await first.done;
    expect(killed.code).toBeNull(); // killed, not finished
    const firstRun = receiver.requests.slice();
    expect(acknowledgedKeys(firstRun).length).toBeLessThan(PEOPLE);

    // The dead run's lock expires (it is no longer renewed); --wait waits for that, then takes it over.
    const rerun = await runCli(['run', job, '--at', AT, '--wait'], { cwd: ws.dir, env });
    expect(rerun.code, rerun.stderr).toBe(0);
    expect(rerun.stderr).toMatch(/took over the expired lock of run/);
    expect(rerun.stderr).toMatch(/stopped without finishing; marked interrupted/);

    const all = receiver.requests.filter((r) => r.status === 200);
    expect(new Set(acknowledgedKeys(all))).toEqual(new Set(range(1, PEOPLE)));
    // Every lead that arrived twice came in a batch resent whole, with the same Idempotency-Key.
    const byKey = new Map<string, ReceivedRequest[]>();
    for (const r of all) for (const l of leadsOf(r)) byKey.set(l.key, [...(byKey.get(l.key) ?? []), r]);
    const resentBatches = new Set<string>();
    for (const [, requests] of byKey) {
      if (requests.length === 1) continue;
      expect(requests).toHaveLength(2);
      const [a, b] = requests;
      expect(b.headers['idempotency-key']).toBe(a.headers['idempotency-key']);
      expect(leadsOf(b).map((l) => l.key)).toEqual(leadsOf(a).map((l) => l.key));
      resentBatches.add(String(a.headers['idempotency-key']));
    }
    // At most the window of requests in flight, and those acknowledged while the ledger was being written.
    // The receiver answered the batches in flight after the sender died: those are resent.
    expect(resentBatches.size).toBeGreaterThanOrEqual(1);
    expect(resentBatches.size).toBeLessThanOrEqual(2 * CONCURRENCY);
    const summary = rerun.summary as { outputs: { delivered: number; already_delivered: number }[] };
    expect(summary.outputs[0].already_delivered + summary.outputs[0].delivered).toBe(PEOPLE);
    expect(summary.outputs[0].delivered).toBe(PEOPLE - acknowledgedKeys(firstRun).length + resentBatches.size * BATCH);

    const runs = JSON.parse((await runCli(['runs', '--job', 'crash', '--json'], { cwd: ws.dir })).stdout) as {
      status: string;
      error?: string;
    }[];
    expect(runs.map((r) => r.status)).toEqual(['ok', 'interrupted']);
  });
});
