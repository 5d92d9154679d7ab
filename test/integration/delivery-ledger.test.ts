// Delivery guarantees through the real CLI and a real HTTP receiver: partial failure (exit 3,
// then the same --at delivers only what is missing), exclude.delivered with scope job and all
// on logical time, CSV deliveries in the ledger, `crm-leads runs`, and the ledger on MariaDB
// and PostgreSQL.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.ts';
import { createTestDatabase, testDatabaseName, MYSQL, POSTGRES, type TestDatabase } from '../support/databases.ts';
import {
  acknowledgedKeys,
  deliveryWorkspace,
  range,
  webhookEnv,
  webhookJob,
  type DeliveryWorkspace,
} from '../support/delivery-fixture.ts';
import { leadsOf, startReceiver, type Receiver } from '../support/http-receiver.ts';

const D = '2026-11-20T09:00:00';
const day = (n: number, hours = 0) =>
  new Date(Date.parse(`${D}Z`) + n * 86_400_000 + hours * 3_600_000).toISOString().slice(0, 19);

let ws: DeliveryWorkspace;
let receiver: Receiver;
beforeAll(async () => {
  ws = await deliveryWorkspace('delivery_ledger', 100);
  receiver = await startReceiver();
});
afterAll(async () => {
  await receiver?.close();
  await ws?.close();
});
beforeEach(() => receiver.reset());

const run = (job: string, at: string, extra: string[] = []) =>
  runCli(['run', job, '--at', at, ...extra], { cwd: ws.dir, env: webhookEnv(receiver.url) });
const sorted = (keys: string[]) => [...keys].sort((a, b) => Number(a) - Number(b));

describe('partial failure and resuming with the same --at', () => {
  it('exits 3 naming what was not delivered, then delivers only those, then nothing', async () => {
    const job = ws.writeJob(
      'partial',
      webhookJob({
        name: 'partial',
        maxRetries: 1,
        extraDestinations: ['  - { type: csv, path: "out/{{job}}-{{date}}.csv", bom: false }'],
      }),
    );
    // The batch with person 35 is refused (422, not retried); the one with 71 fails for good (500).
    receiver.script = (q) => {
      const keys = leadsOf(q).map((l) => l.key);
      if (keys.includes('35')) return { status: 422, body: 'bad phone for 35' };
      if (keys.includes('71')) return { status: 500, body: 'db down' };
      return undefined;
    };
    const first = await run(job, D);
    expect(first.code).toBe(3);
    expect(first.summary).toMatchObject({ job: 'partial', status: 'partial', leads: 100, not_delivered: 20 });
    expect((first.summary!.outputs as { type: string }[]).find((o) => o.type === 'webhook')).toMatchObject({
      delivered: 80,
      failed: 20,
      already_delivered: 0,
    });
    expect(first.stderr).toMatch(/20 leads NOT delivered/);
    expect(sorted(acknowledgedKeys(receiver.requests))).toEqual([...range(1, 30), ...range(41, 70), ...range(81, 100)]);
    expect(receiver.requests.filter((q) => leadsOf(q)[0].key === '31')).toHaveLength(1); // 4xx: not retried
    expect(receiver.requests.filter((q) => leadsOf(q)[0].key === '71')).toHaveLength(2); // 5xx: retried once

    const shown = await runCli(['runs', 'show', String(first.summary!.run_id), '--json'], { cwd: ws.dir });
    expect(shown.code).toBe(0);
    const detail = JSON.parse(shown.stdout) as {
      status: string;
      not_delivered: number;
      failures_total: number;
      failures: { person_key: string; error: string }[];
    };
    expect(detail).toMatchObject({ status: 'partial', not_delivered: 20, failures_total: 20 });
    expect(detail.failures.find((f) => f.person_key === '35')!.error).toBe('HTTP 422: bad phone for 35');
    expect(detail.failures.find((f) => f.person_key === '75')!.error).toBe(
      'HTTP 500: db down (gave up after 2 attempts)',
    );
    const text = await runCli(['runs', 'show', String(first.summary!.run_id)], { cwd: ws.dir });
    expect(text.stdout).toMatch(/status\s+partial/);
    expect(text.stdout).toMatch(/failures \(20\):/);

    receiver.reset();
    const second = await run(job, D);
    expect(second.code).toBe(0);
    expect(sorted(acknowledgedKeys(receiver.requests))).toEqual([...range(31, 40), ...range(71, 80)]);
    expect((second.summary!.outputs as { type: string }[]).find((o) => o.type === 'webhook')).toMatchObject({
      delivered: 20,
      failed: 0,
      already_delivered: 80,
    });
    // The CSV is a file, rewritten whole: it still lists every lead of (job, at).
    const csv = readFileSync(join(ws.dir, 'out/partial-2026-11-20.csv'), 'utf8').trim().split('\r\n');
    expect(csv).toHaveLength(101);

    receiver.reset();
    const third = await run(job, D);
    expect(third.code).toBe(0);
    expect(receiver.requests).toHaveLength(0);
    expect((third.summary!.outputs as { type: string }[]).find((o) => o.type === 'webhook')).toMatchObject({
      delivered: 0,
      already_delivered: 100,
    });

    const listed = await runCli(['runs', '--job', 'partial', '--json'], { cwd: ws.dir });
    expect(
      (JSON.parse(listed.stdout) as { status: string; not_delivered: number }[]).map((r) => [
        r.status,
        r.not_delivered,
      ]),
    ).toEqual([
      ['ok', 0],
      ['ok', 0],
      ['partial', 20],
    ]);
    const table = await runCli(['runs', '--limit', '2'], { cwd: ws.dir });
    expect(table.stdout.trim().split('\n')).toHaveLength(3);
    expect(table.stdout).toMatch(/^RUN\s+JOB\s+AT\s+STATUS/);
  });
});

describe("exclude.delivered (windows on the runs' logical at)", () => {
  it('scope job: a second run within the window delivers only new people; the window moves with --at', async () => {
    const job = ws.writeJob('cooldown', webhookJob({ name: 'cooldown', limit: 40, delivered: '7d' }));
    const delivered = async (at: string) => {
      receiver.reset();
      const r = await run(job, at);
      expect(r.code, r.stderr).toBe(0);
      return { keys: sorted(acknowledgedKeys(receiver.requests)), summary: r.summary! };
    };
    expect((await delivered(day(0))).keys).toEqual(range(1, 40));
    const second = await delivered(day(1));
    expect(second.keys).toEqual(range(41, 80));
    expect(second.summary.counts).toMatchObject({ delivered: 40 });
    expect((await delivered(day(2))).keys).toEqual(range(81, 100));
    // [day 8, window from day 1): the people of day 0 may be called again, the others not yet.
    expect((await delivered(day(8))).keys).toEqual(range(1, 40));
    // A backfill before all of these sees none of them in its window: deterministic per --at.
    expect((await delivered(day(-1))).keys).toEqual(range(1, 40));
  });

  it('scope all: a person delivered by any job in the window is skipped; scope job ignores other jobs', async () => {
    const state = ['--state', 'scope.db'];
    const a = ws.writeJob('first-job', webhookJob({ name: 'first-job', limit: 40 }));
    const own = ws.writeJob('own-cap', webhookJob({ name: 'own-cap', limit: 60, delivered: '7d' }));
    const all = ws.writeJob('global-cap', webhookJob({ name: 'global-cap', delivered: '{ within: 7d, scope: all }' }));
    expect((await run(a, day(0), state)).code).toBe(0);
    receiver.reset();
    expect((await run(own, day(0, 1), state)).code).toBe(0);
    expect(sorted(acknowledgedKeys(receiver.requests))).toEqual(range(1, 60));
    receiver.reset();
    const capped = await run(all, day(0, 2), state);
    expect(capped.code).toBe(0);
    expect(sorted(acknowledgedKeys(receiver.requests))).toEqual(range(61, 100));
    expect(capped.summary!.counts).toMatchObject({ delivered: 60 });
    // Eight days later the cap has passed for everyone.
    receiver.reset();
    expect((await run(all, day(8, 2), state)).code).toBe(0);
    expect(acknowledgedKeys(receiver.requests)).toHaveLength(100);
  });

  it('records CSV leads once the file is complete, so a CSV job has a cooldown too', async () => {
    const job = ws.writeJob(
      'csv-cooldown',
      [
        'name: csv-cooldown',
        'source: wh',
        'audience: { table: people, key: user_id }',
        'exclude: { delivered: 7d }',
        'lead: { fields: [user_id, name], order_by: { score: asc }, limit: 30 }',
        'destinations: [ { type: csv, path: "out/{{job}}-{{date}}.csv", bom: false } ]',
      ].join('\n'),
    );
    const csvKeys = (date: string) =>
      readFileSync(join(ws.dir, `out/csv-cooldown-${date}.csv`), 'utf8')
        .trim()
        .split('\r\n')
        .slice(1)
        .map((l) => l.split(',')[0]);
    expect((await run(job, day(0), ['--state', 'csv.db'])).code).toBe(0);
    expect(csvKeys('2026-11-20')).toEqual(range(1, 30));
    expect((await run(job, day(1), ['--state', 'csv.db'])).code).toBe(0);
    expect(csvKeys('2026-11-21')).toEqual(range(31, 60));
    // A dry run reads the ledger for its funnel and writes nothing.
    const dry = await run(job, day(2), ['--state', 'csv.db', '--dry-run']);
    expect(dry.summary!.funnel).toContainEqual({ rule: 'delivered', remaining: 40 });
    expect(existsSync(join(ws.dir, 'out/csv-cooldown-2026-11-22.csv'))).toBe(false);
  });
});

describe.each(['mysql', 'postgres'] as const)('a ledger shared on %s', (dialect) => {
  let db: TestDatabase;
  let url: string;
  beforeAll(async () => {
    db = await createTestDatabase(dialect, 'delivery_ledger_state');
    const server = dialect === 'mysql' ? MYSQL : POSTGRES;
    const auth = `${server.user}${server.password ? `:${encodeURIComponent(server.password)}` : ''}`;
    url = `${dialect}://${auth}@${server.host}:${server.port}/${testDatabaseName('delivery_ledger_state')}`;
  });
  afterAll(async () => db?.drop());

  it('is created on first use and keeps runs, deliveries and failures', async () => {
    const job = ws.writeJob(
      `shared-${dialect}`,
      webhookJob({ name: `shared-${dialect}`, limit: 30, delivered: '7d', maxRetries: 0 }),
    );
    receiver.script = (q) => (leadsOf(q).some((l) => l.key === '15') ? { status: 409, body: 'duplicate' } : undefined);
    const first = await run(job, day(0), ['--state', url]);
    expect(first.code, first.stderr).toBe(3);
    expect(sorted(acknowledgedKeys(receiver.requests))).toEqual([...range(1, 10), ...range(21, 30)]);
    receiver.reset();
    const resumed = await run(job, day(0), ['--state', url]);
    expect(resumed.code).toBe(0);
    expect(sorted(acknowledgedKeys(receiver.requests))).toEqual(range(11, 20));
    receiver.reset();
    expect((await run(job, day(1), ['--state', url])).code).toBe(0);
    expect(sorted(acknowledgedKeys(receiver.requests))).toEqual(range(31, 60));
    const [{ n }] = await db.knex('crm_leads_deliveries').sum({ n: 'lead_count' });
    expect(Number(n)).toBe(60);
    // A person can be looked up in the ledger with plain SQL (keys one per line).
    const found = await db
      .knex('crm_leads_deliveries')
      .where('person_keys', 'like', '%\n17\n%')
      .select('run_id', 'destination');
    expect(found).toEqual([{ run_id: resumed.summary!.run_id, destination: `webhook:${receiver.url}` }]);
    const listed = await runCli(['runs', '--json', '--state', url], { cwd: ws.dir });
    expect((JSON.parse(listed.stdout) as { status: string }[]).map((r) => r.status)).toEqual(['ok', 'ok', 'partial']);
  });
});
