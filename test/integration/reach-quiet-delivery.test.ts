// Quiet hours at the time of delivery (issue 12): a run that crosses 21:00 stops handing call
// leads to its destinations at 21:00 and holds the rest, although it chose their channel
// before 21:00. The run's clock is tied to the destination: each lead committed into the CRM
// table (batch_size 1, one transaction per lead) moves it one second on, so the leads are
// handed over at 20:59:58, 20:59:59, 21:00:00, ... exactly. The gate does not depend on the
// warehouse engine, so one (SQLite) is enough here; reach-leads.test.ts runs all three.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Connections } from '../../src/config/load-connections.ts';
import { loadJob } from '../../src/config/load-job.ts';
import { resolveRunTime } from '../../src/plan/time.ts';
import { silentReporter } from '../../src/run/reporter.ts';
import { runJob } from '../../src/run/run-job.ts';
import { deliveredInWindow } from '../../src/state/deliveries.ts';
import { listHolds } from '../../src/state/holds.ts';
import { openStateStore } from '../../src/state/state-store.ts';
import { createTestDatabase, loadFixture, type TestDatabase } from '../support/databases.ts';

const MEMBERS = [1, 2, 3, 4, 5];
const JOB = `name: late-calls
source: wh
timezone: Asia/Shanghai
audience: { table: members }
contacts: { table: user_channel_binding }
lead:
  fields: [user_id, name]
  channel: outbound_call
  order_by: { user_id: asc }
quiet_hours: { outbound_call: "21:00-09:00", hold: 13h }   # 20:59:58 to 09:00 is just over 12h
destinations:
  - { type: table, connection: crm, table: crm_calls, batch_size: 1 }
`;

describe('quiet hours checked when each lead is handed to its destination', () => {
  let wh: TestDatabase;
  let crm: TestDatabase;
  let crm2: TestDatabase;
  const dir = mkdtempSync(join(tmpdir(), 'crm-leads-quiet-delivery-'));
  const state = join(dir, 'state.db');
  let connections: Connections;

  beforeAll(async () => {
    wh = await createTestDatabase('sqlite', 'quiet_delivery_wh');
    crm = await createTestDatabase('sqlite', 'quiet_delivery_crm');
    await loadFixture(wh, [
      {
        name: 'members',
        columns: { user_id: 'bigInteger', name: 'string' },
        rows: MEMBERS.map((id) => ({ user_id: id, name: `会员${id}` })),
      },
      {
        name: 'user_channel_binding',
        columns: { user_id: 'bigInteger', channel: 'string', address: 'string' },
        rows: MEMBERS.map((id) => ({ user_id: id, channel: 'outbound_call', address: `1390000000${id}` })),
      },
    ]);
    crm2 = await createTestDatabase('sqlite', 'quiet_delivery_crm2');
    for (const [db, table] of [
      [crm, 'crm_calls'],
      [crm, 'calls_a'],
      [crm2, 'calls_b'],
    ] as const)
      await db.knex.schema.createTable(table, (t) => {
        t.bigInteger('user_id');
        t.string('name');
        t.string('address');
        t.string('job');
        t.string('run_id');
        t.string('channel');
        t.string('delivered_at');
      });
    connections = {
      file: join(dir, 'connections.yaml'),
      byName: new Map([
        ['wh', wh.connection],
        ['crm', crm.connection],
        ['crm2', crm2.connection],
      ]),
    };
  });
  afterAll(async () => {
    await wh?.drop();
    await crm?.drop();
    await crm2?.drop();
  });

  const called = (db: Database.Database, table = 'crm_calls') =>
    (db.prepare(`select user_id from ${table} order by user_id`).all() as { user_id: number }[]).map((r) => r.user_id);
  const sqliteFile = (db: TestDatabase) => (db.connection as { path: string }).path;

  it('a run from 20:59:58 hands over 1 and 2, then holds 3, 4 and 5 at 21:00:00; the 09:00 run calls them', async () => {
    const job = loadJob(join(dir, 'late-calls.yaml'), connections, {}, JOB);
    const reader = new Database(sqliteFile(crm), { readonly: true });
    try {
      const run = (at: string) => {
        const start = resolveRunTime(at, job.timezone).epochMs;
        const already = called(reader).length;
        // One second per lead committed by this run: the time at which the next lead is handed over.
        const clock = () => start + 1000 * (called(reader).length - already);
        return runJob(job, { connections, reporter: silentReporter, at, state, clock });
      };

      const evening = await run('2026-11-23T20:59:58');
      expect(called(reader)).toEqual([1, 2]);
      expect(evening.leads).toBe(2);
      expect(evening.counts).toMatchObject({ rows: 5, quiet_hours: 3, no_address: 0 });
      expect(evening.outputs).toEqual([expect.objectContaining({ type: 'table', delivered: 2, failed: 0 })]);
      const store = await openStateStore(state);
      try {
        expect((await listHolds(store, 'late-calls')).map((h) => `${h.key} ${h.channel} ${h.address}`)).toEqual([
          '3 outbound_call 13900000003',
          '4 outbound_call 13900000004',
          '5 outbound_call 13900000005',
        ]);
        const atMs = resolveRunTime('2026-11-23T20:59:58', job.timezone).epochMs;
        const delivered = await deliveredInWindow(store, { job: 'late-calls', fromMs: atMs, toMs: atMs + 1 });
        expect([...delivered].sort()).toEqual(['1', '2']);
      } finally {
        await store.close();
      }

      // The first run after the quiet hours calls the held three (before its own stream, where
      // everyone but 1 and 2 would be new leads again: the held ones are not taken twice).
      const morning = await run('2026-11-24T09:00:00');
      expect(morning.counts).toMatchObject({ released: 3, quiet_hours: 0 });
      expect(called(reader)).toEqual([1, 1, 2, 2, 3, 4, 5]);
    } finally {
      reader.close();
    }
  });

  it('two destinations of the call list: each lead is sent to both or held from both, never split', async () => {
    const job = loadJob(
      join(dir, 'late-calls-two.yaml'),
      connections,
      {},
      JOB.replace('name: late-calls', 'name: late-calls-two').replace(
        '  - { type: table, connection: crm, table: crm_calls, batch_size: 1 }',
        '  - { type: table, connection: crm, table: calls_a, batch_size: 1 }\n' +
          '  - { type: table, connection: crm2, table: calls_b, batch_size: 1 }',
      ),
    );
    expect(job.destinations).toHaveLength(2);
    const a = new Database(sqliteFile(crm), { readonly: true });
    const b = new Database(sqliteFile(crm2), { readonly: true });
    try {
      const at = '2026-11-23T20:59:58';
      const start = resolveRunTime(at, job.timezone).epochMs;
      // The clock follows the first destination only: the second may be a lead ahead or behind,
      // so where the run stops is not fixed, but the two lists must agree.
      const clock = () => start + 1000 * called(a, 'calls_a').length;
      const summary = await runJob(job, { connections, reporter: silentReporter, at, state, clock });
      const sent = called(a, 'calls_a');
      expect(called(b, 'calls_b')).toEqual(sent);
      expect(sent).toEqual(MEMBERS.slice(0, sent.length)); // in key order, from 1 on
      expect(sent.length).toBeGreaterThanOrEqual(1); // 1 is handed over at 20:59:58
      expect(summary.leads).toBe(sent.length);
      const store = await openStateStore(state);
      try {
        const held = (await listHolds(store, 'late-calls-two')).map((h) => Number(h.key)).sort((x, y) => x - y);
        expect(held).toEqual(MEMBERS.slice(sent.length));
        expect(summary.counts.quiet_hours).toBe(held.length);
      } finally {
        await store.close();
      }
    } finally {
      a.close();
      b.close();
    }
  });
});
