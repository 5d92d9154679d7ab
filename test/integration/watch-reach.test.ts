// The reach rules in `crm-leads watch` (issue 11: "everything else in the job applies as in
// run", with issue 12's channels, consent, caps and quiet hours). On SQLite, MariaDB and
// PostgreSQL, with the state store on the same engine and a real HTTP receiver, a replay of
// test/support/watch-reach-fixture.ts gives the hand-written leads, channels and addresses:
//   - the channel fallback per person, opted-out people never delivered, no_address counted;
//   - caps shared with `run` through the ledger: a person delivered by `run` is capped in watch,
//     and one delivered by watch is capped in a later `run`;
//   - a lead decided inside quiet hours is held and delivered by the first tick after them
//     (whose slice has no rows), an older one expires;
//   - kill -9 between the claim and the delivery leaves a claim that expires (30 min) as in
//     run; the restarted watcher releases it and delivers the lead once; a replay delivers
//     nothing twice.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLAIM_TTL_MS } from '../../src/state/touches.ts';
import { openStateStore } from '../../src/state/state-store.ts';
import { runCli } from '../support/cli.ts';
import { createTestDatabase, DIALECTS, loadFixture, serverUrl, type TestDatabase } from '../support/databases.ts';
import { leadsOf, startReceiver, type Receiver } from '../support/http-receiver.ts';
import { startCli } from '../support/long-running-cli.ts';
import { EXPECTED, FROM, runJob, TABLES, UNTIL, watchedJob } from '../support/watch-reach-fixture.ts';

const TIMEOUT_MS = 180_000;

let receiver: Receiver;
beforeAll(async () => {
  receiver = await startReceiver();
});
afterAll(async () => {
  await receiver.close();
});

/** Acknowledged leads per destination path: person -> [trigger time, address, channel] per delivery. */
function received(): Record<string, Record<string, [string, string, string][]>> {
  const out: Record<string, Record<string, [string, string, string][]>> = {};
  for (const request of receiver.acknowledged) {
    const path = request.path.replace('/leads/', '');
    out[path] ??= {};
    for (const lead of leadsOf(request)) {
      out[path][lead.key] ??= [];
      out[path][lead.key].push([String(lead.viewed_at), String(lead.address), String(lead.channel)]);
    }
  }
  return out;
}

const CHANNEL = { wecom: 'wecom', sms: 'sms', calls: 'outbound_call' } as const;
/** EXPECTED as received(): each lead once, with its channel. */
const expectedOnce = () =>
  Object.fromEntries(
    Object.entries(EXPECTED).map(([path, leads]) => [
      path,
      Object.fromEntries(
        Object.entries(leads).map(([key, [time, address]]) => [
          key,
          [[time, address, CHANNEL[path as keyof typeof CHANNEL]]],
        ]),
      ),
    ]),
  );

const sum = (ticks: Record<string, any>[], field: string) => ticks.reduce((n, t) => n + (t.counts[field] ?? 0), 0);
const ticksOf = (stdout: string) =>
  stdout
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line));

describe.each(DIALECTS)('watch applies the reach rules on %s', (dialect) => {
  let db: TestDatabase;
  let dir: string;
  let state: string;
  beforeAll(async () => {
    db = await createTestDatabase(dialect, 'watch_reach');
    await loadFixture(db, TABLES);
    dir = mkdtempSync(join(tmpdir(), 'crm-leads-watch-reach-'));
    writeFileSync(join(dir, 'connections.yaml'), `wh: ${db.yaml}\n`);
    writeFileSync(join(dir, 'watched.yaml'), watchedJob(receiver.url));
    writeFileSync(join(dir, 'daily.yaml'), runJob('daily', [9], receiver.url, false));
    writeFileSync(join(dir, 'after.yaml'), runJob('after', [10, 11], receiver.url, true));
    // The ledger on the same engine (its tables beside the fixture's), a file for SQLite.
    state = dialect === 'sqlite' ? join(dir, 'state.db') : serverUrl(dialect, 'watch_reach');
  });
  afterAll(async () => {
    await db.drop();
  });

  const args = (...rest: string[]) => [
    ...rest,
    '--connections',
    'connections.yaml',
    '--state',
    state,
    '--log-format',
    'json',
  ];
  const env = { CRM_LEADS_LOCK_TTL: '2' };
  const ledger = async <T>(fn: (k: Awaited<ReturnType<typeof openStateStore>>['knex']) => Promise<T>) => {
    const store = await openStateStore(state);
    try {
      return await fn(store.knex);
    } finally {
      await store.close();
    }
  };

  it(
    'run, then watch killed between claim and delivery, restarted: hand-written leads, channels and counts',
    async () => {
      // `run` of another job delivers person 9 on 2026-11-23 at 19:00.
      receiver.reset();
      const daily = await runCli(args('run', 'daily.yaml', '--at', '2026-11-23T19:00:00'), { cwd: dir, env });
      expect(daily.code).toBe(0);
      expect(receiver.acknowledged.map((r) => leadsOf(r).map((l) => l.key))).toEqual([['9']]);

      // A watcher on another tick grid (19:55 + 10m·k) claims person 1 in its 20:15 tick; the
      // receiver never answers, and the watcher is killed -9 with the request in flight.
      receiver.reset();
      receiver.queue({ hang: true });
      const first = startCli(args('watch', 'watched.yaml', '--from', '2026-11-23T19:55:00', '--until', UNTIL), {
        cwd: dir,
        env,
      });
      const deadline = Date.now() + 60_000;
      while (receiver.requests.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      expect(receiver.requests.map((r) => leadsOf(r).map((l) => l.key))).toEqual([['1']]);
      first.child.kill('SIGKILL');
      await first.exited();
      // The claim stays, and expires CLAIM_TTL_MS after it was made, as a crashed run's does.
      const claims = await ledger((k) => k('crm_leads_touches').where({ person_key: '1' }).select());
      expect(claims.map((c) => [c.state, c.channel, Number(c.expires_ms) - Number(c.claimed_ms)])).toEqual([
        ['claimed', 'wecom', CLAIM_TTL_MS],
      ]);
      const deadTick = claims[0].run_id as string;
      expect(await ledger((k) => k('crm_leads_runs').where({ id: deadTick }).first('status'))).toEqual({
        status: 'running',
      });

      // Restarted on the 20:00 grid: the tick deciding person 1 has another `at` (20:10), so the
      // dead tick's claim would count against it (capped) if the restart did not release it.
      receiver.reset();
      const r = await runCli(args('watch', 'watched.yaml', '--from', FROM, '--until', UNTIL), {
        cwd: dir,
        env,
        timeoutMs: TIMEOUT_MS,
      });
      expect(r.stderr).not.toMatch(/tick_failed|"level":50/);
      expect(r.code).toBe(0);
      expect(received()).toEqual(expectedOnce());
      const ticks = ticksOf(r.stdout);
      expect(sum(ticks, 'no_address')).toBe(1); // 3
      expect(sum(ticks, 'opted_out')).toBe(1); // 4
      expect(sum(ticks, 'capped')).toBe(2); // 9 (by run), 1 (again at 22:30)
      expect(sum(ticks, 'quiet_hours')).toBe(3); // 13, 6, 7 held
      expect(sum(ticks, 'expired')).toBe(1); // 13
      expect(sum(ticks, 'released')).toBe(2); // 6, 7
      expect(ticks.reduce((n, t) => n + t.leads, 0)).toBe(8);
      // The 09:00 tick read no rows (its slice is empty) and delivered the two held leads.
      const nine = ticks.find((t) => t.tick.startsWith('2026-11-24T09:00:00'));
      expect(nine).toMatchObject({ leads: 2, counts: { rows: 0, released: 2, expired: 1 } });
      // Held leads are read on the first tick and when a quiet period has ended, not every tick:
      // no other tick without rows recorded anything.
      expect(ticks.filter((t) => t.counts.rows === 0).map((t) => t.tick)).toEqual([nine.tick]);
      // The dead tick is interrupted and its claim released; person 1 has one touch, sent.
      expect(await ledger((k) => k('crm_leads_runs').where({ id: deadTick }).first('status'))).toEqual({
        status: 'interrupted',
      });
      const touches = await ledger((k) => k('crm_leads_touches').where({ person_key: '1' }).select('state'));
      expect(touches).toEqual([{ state: 'sent' }]);
      // Delivered (6, 7) or expired (13): nobody is held any more.
      expect(await ledger((k) => k('crm_leads_holds').select('person_key'))).toEqual([]);
    },
    TIMEOUT_MS,
  );

  it(
    'replaying the period again delivers nothing twice',
    async () => {
      receiver.reset();
      const r = await runCli(args('watch', 'watched.yaml', '--from', FROM, '--until', UNTIL), {
        cwd: dir,
        env,
        timeoutMs: TIMEOUT_MS,
      });
      expect(r.code).toBe(0);
      expect(receiver.requests).toHaveLength(0);
      const ticks = ticksOf(r.stdout);
      // Every lead delivered before is already sent; the never-delivered 13 is held and expires again.
      expect(sum(ticks, 'already_sent')).toBe(8);
      expect(sum(ticks, 'expired')).toBe(1);
    },
    TIMEOUT_MS,
  );

  it(
    'a person delivered by watch is capped in a later run of another job (scope all)',
    async () => {
      receiver.reset();
      const r = await runCli(args('run', 'after.yaml', '--at', '2026-11-24T09:30:00'), { cwd: dir, env });
      expect(r.code).toBe(0);
      expect(receiver.acknowledged.map((q) => leadsOf(q).map((l) => [l.key, l.address]))).toEqual([[['11', 'wx_11']]]);
      expect(r.summary).toMatchObject({ leads: 1, counts: { capped: 1 } });
    },
    TIMEOUT_MS,
  );
});
