// `crm-leads watch` live for 75 s (issue 11) on MariaDB and PostgreSQL: a real child with
// `every: 1s`, events inserted at a steady 5 per second (one new person each, every fifth pays
// within the wait), a kill -9 and a restart in the middle. Every lead arrives once (a batch
// resent after the kill carries the Idempotency-Key of the copy the receiver already has and is
// dropped as the receiver would drop it), nobody who paid arrives, and the delivery latency
// (from maturity, tA + W, to the receipt) is printed as p50/p95/max. Only a generous bound is
// asserted (p95 under every + lateness + 10 s, the restart included), not the 2 s goal: the
// machine is shared and the benchmark (`npm run bench -- watch`) measures the goal.
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serverUrl, type TestDatabase } from '../support/databases.ts';
import { leadsOf, startReceiver, type Receiver } from '../support/http-receiver.ts';
import { liveWatchDatabase, liveWatchDir, naiveUtc as naive } from '../support/live-watch.ts';
import { startCli, type LongRunningCli } from '../support/long-running-cli.ts';

const RUN_MS = 75_000;
const RATE_PER_S = 5;
const KILL_AT_MS = 35_000;
const EVERY_S = 1;
const LATENESS_S = 2;
const WAIT_S = 2; // not_followed_by within

const fromNaive = (text: string) => Date.parse(`${text.replace(' ', 'T').slice(0, 19)}Z`);

const job = (url: string) => `name: soak-fridge
source: wh
timezone: UTC
realtime: { every: ${EVERY_S}s, lateness: ${LATENESS_S}s }
audience: { table: dim_user }
trigger:
  table: events
  event: view_item
  within: 1h
  not_followed_by: { event: pay_order, within: ${WAIT_S}s }
lead: { fields: { user_id: user_id, viewed_at: trigger.event_time } }
destinations: [ { type: webhook, url: "${url}", batch_size: 20 } ]
`;

const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)];

describe.each(['mysql', 'postgres'] as const)('watch live soak on %s', (dialect) => {
  let db: TestDatabase;
  let dir: string;
  let receiver: Receiver;
  let child: LongRunningCli | undefined;
  let state: string;

  beforeAll(async () => {
    db = await liveWatchDatabase(dialect, 'watch_soak', 1000);
    receiver = await startReceiver();
    dir = liveWatchDir('crm-leads-watch-soak-', db, { 'job.yaml': job(receiver.url) });
    state = serverUrl(dialect, 'watch_soak');
  });
  afterAll(async () => {
    child?.child.kill('SIGKILL');
    await receiver?.close();
    await db?.drop();
  });

  const start = async () => {
    child = startCli(
      ['watch', 'job.yaml', '--connections', 'connections.yaml', '--state', state, '--log-format', 'json'],
      {
        cwd: dir,
        // The killed watcher's lock expires after 3 s (60 s by default): the restart waits for it.
        env: { CRM_LEADS_LOCK_TTL: '3' },
      },
    );
    await child.waitFor((e) => e.event === 'watching', 60_000);
  };

  /** Acknowledged leads, a request whose Idempotency-Key was acknowledged before dropped. */
  const delivered = () => {
    const seen = new Set<string>();
    const leads: { key: string; eventTime: string; receivedAt: number }[] = [];
    for (const r of receiver.acknowledged) {
      const key = String(r.headers['idempotency-key']);
      if (seen.has(key)) continue;
      seen.add(key);
      for (const l of leadsOf(r))
        leads.push({ key: String(l.key), eventTime: String(l.viewed_at), receivedAt: r.receivedAt });
    }
    return leads;
  };

  it('every lead once through a kill -9 and restart; latency p50/p95 printed', async () => {
    await start();
    const expected: string[] = [];
    const paid: string[] = [];
    const began = Date.now();
    let killed = false;
    let person = 0;
    let restarting: Promise<void> | undefined;
    while (Date.now() - began < RUN_MS) {
      const due = began + (person * 1000) / RATE_PER_S;
      if (due > Date.now()) await sleep(due - Date.now());
      person++;
      const now = Date.now();
      const rows = [{ user_id: person, event_name: 'view_item', event_time: naive(now) }];
      if (person % 5 === 0) {
        rows.push({ user_id: person, event_name: 'pay_order', event_time: naive(now + 1000) });
        paid.push(String(person));
      } else expected.push(String(person));
      await db.knex('events').insert(rows);
      if (!killed && now - began >= KILL_AT_MS) {
        killed = true;
        const old = child!;
        old.child.kill('SIGKILL');
        restarting = old.exited().then(start);
      }
    }
    await restarting;
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline && new Set(delivered().map((l) => l.key)).size < expected.length) await sleep(250);
    await sleep(3000); // time for a duplicate to show up, if there were one
    child!.child.kill('SIGTERM');
    expect(await child!.exited()).toBe(0);

    const leads = delivered();
    const keys = leads.map((l) => l.key).sort((a, b) => Number(a) - Number(b));
    expect(keys).toEqual(expected); // each once, in person order; nobody who paid
    expect(keys.filter((k) => paid.includes(k))).toEqual([]);

    const latencies = leads.map((l) => l.receivedAt - (fromNaive(l.eventTime) + WAIT_S * 1000)).sort((a, b) => a - b);
    const p50 = percentile(latencies, 0.5);
    const p95 = percentile(latencies, 0.95);
    const resent =
      receiver.acknowledged.length - new Set(receiver.acknowledged.map((r) => r.headers['idempotency-key'])).size;
    console.log(
      `watch soak ${dialect}: ${person} people over ${RUN_MS / 1000}s (${RATE_PER_S}/s), ${leads.length} leads, ` +
        `latency from maturity p50 ${(p50 / 1000).toFixed(2)}s p95 ${(p95 / 1000).toFixed(2)}s max ${(latencies.at(-1)! / 1000).toFixed(2)}s ` +
        `(every ${EVERY_S}s, lateness ${LATENESS_S}s, kill -9 at ${KILL_AT_MS / 1000}s); batches resent with a known key: ${resent}`,
    );
    expect(latencies.every(Number.isFinite)).toBe(true);
    expect(latencies[0]).toBeGreaterThanOrEqual(0); // nothing before it matured
    expect(p95).toBeLessThan((EVERY_S + LATENESS_S + 10) * 1000);
  });
});
