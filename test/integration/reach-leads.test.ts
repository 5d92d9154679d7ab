// Channels, consent, caps and quiet hours end to end (issue 12), on SQLite, MariaDB and
// PostgreSQL warehouses: the reach fixture (test/support/reach-fixture.ts, one case per
// person) through runJob with real CSV destinations routed by channel and a real ledger. The
// wall clock is pinned so that the time of delivery is exactly --at (the quiet-hour edges are
// one second apart).
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Connections } from '../../src/config/load-connections.ts';
import { loadJob } from '../../src/config/load-job.ts';
import { resolveRunTime } from '../../src/plan/time.ts';
import { silentReporter } from '../../src/run/reporter.ts';
import { runJob, type RunSummary } from '../../src/run/run-job.ts';
import { recordDeliveries } from '../../src/state/deliveries.ts';
import { listHolds } from '../../src/state/holds.ts';
import { openStateStore } from '../../src/state/state-store.ts';
import { createTestDatabase, DIALECTS, loadFixture, type TestDatabase } from '../support/databases.ts';
import { MEMBERS, PRIOR_SMS, reachJob } from '../support/reach-fixture.ts';

type Out = Record<'wecom' | 'sms' | 'call', string[]>;

describe.each(DIALECTS)('reach on a %s warehouse', (dialect) => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase(dialect, 'reach_leads');
    await loadFixture(db, MEMBERS);
  });
  afterAll(async () => db?.drop());

  async function scenario() {
    const dir = mkdtempSync(join(tmpdir(), 'crm-leads-reach-'));
    const state = join(dir, 'state.db');
    const store = await openStateStore(state);
    for (const [runId, at, keys] of PRIOR_SMS) {
      const atMs = Date.parse(at);
      await recordDeliveries(
        store,
        { job: 'sms-blast', atMs, runId, destination: 'webhook:sms', channel: 'sms' },
        keys,
      );
    }
    await store.close();
    const connections: Connections = { file: join(dir, 'connections.yaml'), byName: new Map([['wh', db.connection]]) };
    const job = loadJob(join(dir, 'members-reach.yaml'), connections, {}, reachJob(dir));
    const run = async (at: string): Promise<{ summary: RunSummary; out: Out }> => {
      const pinned = resolveRunTime(at, job.timezone).epochMs;
      const summary = await runJob(job, { connections, reporter: silentReporter, at, state, clock: () => pinned });
      return { summary, out: outputs(dir, summary.run_id) };
    };
    const holds = async () => {
      const s = await openStateStore(state);
      try {
        return (await listHolds(s, job.name)).map((h) => `${h.key} ${h.channel} ${h.address}`);
      } finally {
        await s.close();
      }
    };
    return { run, holds };
  }

  it('20:59:59: every person on the first channel they can be reached on', async () => {
    const { run, holds } = await scenario();
    const { summary, out } = await run('2026-11-23T20:59:59');
    expect(out).toEqual({
      wecom: ['1,会员1,wecom,wx_1', '7,会员7,wecom,wx_7'],
      sms: ['2,会员2,sms,13800000002', '4,会员4,sms,13800000004', '9,会员9,sms,13800000009'],
      call: [
        '8,会员8,outbound_call,13800000008',
        '10,会员10,outbound_call,13800000010',
        '12,会员12,outbound_call,13800000012',
      ],
    });
    expect(summary.leads).toBe(8);
    expect(summary.counts).toMatchObject({ rows: 12, no_address: 1, opted_out: 2, capped: 1, quiet_hours: 0 });
    expect(await holds()).toEqual([]);
  });

  it('21:00:00: call leads are held; the first run after 09:00 delivers them unless converted or opted out since', async () => {
    const { run, holds } = await scenario();
    const first = await run('2026-11-23T21:00:00');
    expect(first.out).toEqual({
      wecom: ['1,会员1,wecom,wx_1', '7,会员7,wecom,wx_7'],
      sms: ['2,会员2,sms,13800000002', '4,会员4,sms,13800000004', '9,会员9,sms,13800000009'],
      call: [],
    });
    expect(first.summary.counts).toMatchObject({ quiet_hours: 3, capped: 1 });
    expect(await holds()).toEqual([
      '10 outbound_call 13800000010',
      '12 outbound_call 13800000012',
      '8 outbound_call 13800000008',
    ]);
    // Overnight: 8 pays, 10 opts out of calls.
    await db.knex('orders').insert({ user_id: 8, paid_at: '2026-11-24 08:30:00' });
    await db
      .knex('user_opt_out')
      .insert({ user_id: 10, channel: 'outbound_call', opted_out_at: '2026-11-23 23:00:00' });
    try {
      // 08:59:59 is still quiet for calls: nothing released, the holds stay.
      const early = await run('2026-11-24T08:59:59');
      expect(early.out.call).toEqual([]);
      expect(early.summary.counts).toMatchObject({ quiet_hours: 3, released: 0 });
      const morning = await run('2026-11-24T09:00:00');
      expect(morning.out).toEqual({ wecom: [], sms: [], call: ['12,会员12,outbound_call,13800000012'] });
      // Everyone delivered at 21:00 is within the job's 24h cooldown now (capped, with 11).
      expect(morning.summary.counts).toMatchObject({
        released: 1,
        converted_while_held: 1,
        opted_out: 3,
        capped: 6,
        no_address: 1,
      });
      expect(await holds()).toEqual([]);
    } finally {
      await db.knex('orders').delete();
      await db.knex('user_opt_out').where({ user_id: 10 }).delete();
    }
  });

  it('across midnight: SMS quiet until 08:00, calls until 09:00; a hold older than 12h expires', async () => {
    const { run, holds } = await scenario();
    const night = await run('2026-11-24T07:59:59');
    expect(night.out).toEqual({ wecom: ['1,会员1,wecom,wx_1', '7,会员7,wecom,wx_7'], sms: [], call: [] });
    expect(night.summary.counts).toMatchObject({ quiet_hours: 6 });
    const eight = await run('2026-11-24T08:00:00');
    expect(eight.out).toEqual({
      wecom: [],
      sms: ['2,会员2,sms,13800000002', '4,会员4,sms,13800000004', '9,会员9,sms,13800000009'],
      call: [],
    });
    expect(eight.summary.counts).toMatchObject({ released: 3, quiet_hours: 3 });
    expect(await holds()).toEqual([
      '10 outbound_call 13800000010',
      '12 outbound_call 13800000012',
      '8 outbound_call 13800000008',
    ]);
    // 12h and 1s after they were held: dropped as expired; still in the audience, so the
    // stream makes new leads of them now that calls are allowed.
    const evening = await run('2026-11-24T20:00:00');
    expect(evening.summary.counts).toMatchObject({ expired: 3, released: 0 });
    expect(evening.out).toEqual({
      wecom: [],
      sms: [],
      call: [
        '8,会员8,outbound_call,13800000008',
        '10,会员10,outbound_call,13800000010',
        '12,会员12,outbound_call,13800000012',
      ],
    });
    expect(await holds()).toEqual([]);
  });
});

// Each destination's CSV of one run: its rows without the header, sorted by person key.
function outputs(dir: string, runId: string): Out {
  const read = (prefix: string) => {
    const file = readdirSync(dir).find((f) => f === `${prefix}-${runId}.csv`);
    if (!file) return [];
    const [header, ...rows] = readFileSync(join(dir, file), 'utf8').trim().split(/\r?\n/);
    expect(header).toBe('user_id,name,channel,address');
    return rows.filter((r) => r !== '').sort((a, b) => Number(a.split(',')[0]) - Number(b.split(',')[0]));
  };
  return { wecom: read('wecom'), sms: read('sms'), call: read('call') };
}
