// Channels and consent through the real CLI (issue 12), on SQLite, MariaDB and PostgreSQL:
// opt-outs read from another connection (consent.source), the dry-run funnel with the reach
// steps, and `crm-leads runs show` listing the leads a run held in quiet hours. The people are
// the reach fixture's (test/support/reach-fixture.ts, one case per person); every expectation
// below is worked out by hand from it.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recordDeliveries } from '../../src/state/deliveries.ts';
import { listHolds } from '../../src/state/holds.ts';
import { listRuns } from '../../src/state/runs.ts';
import { openStateStore } from '../../src/state/state-store.ts';
import { runCli } from '../support/cli.ts';
import { createTestDatabase, DIALECTS, loadFixture, type TestDatabase } from '../support/databases.ts';
import { MEMBERS, PRIOR_SMS, reachJob } from '../support/reach-fixture.ts';

// 21:00:00 is inside the call quiet hours (21:00-09:00) and stays so for the seconds the run
// takes: the call leads of 8, 10 and 12 are held. SMS is quiet only from 22:00.
const AT = '2026-11-23T21:00:00';
const OPT_OUTS = MEMBERS.find((t) => t.name === 'user_opt_out')!;
const WAREHOUSE = MEMBERS.filter((t) => t.name !== 'user_opt_out');

describe.each(DIALECTS)('reach through the CLI on %s, opt-outs on another connection', (dialect) => {
  let wh: TestDatabase;
  let crm: TestDatabase;
  const dir = mkdtempSync(join(tmpdir(), 'crm-leads-reach-cli-'));
  const state = join(dir, 'state.db');
  const cli = (args: string[]) => runCli([...args, '--state', state], { cwd: dir });

  beforeAll(async () => {
    // The warehouse has the members and their bindings but no opt-outs: those live in the CRM's
    // own database (consent.source: crm), a second database of the same engine.
    wh = await createTestDatabase(dialect, 'reach_cli_wh');
    crm = await createTestDatabase(dialect, 'reach_cli_crm');
    await loadFixture(wh, WAREHOUSE);
    await loadFixture(crm, [OPT_OUTS]);
    writeFileSync(join(dir, 'connections.yaml'), `wh: ${wh.yaml}\ncrm: ${crm.yaml}\n`);
    const job = reachJob(dir).replace(
      'consent: { table: user_opt_out }',
      'consent: { table: user_opt_out, source: crm }',
    );
    expect(job).toContain('source: crm');
    writeFileSync(join(dir, 'members-reach.yaml'), job);
    const store = await openStateStore(state);
    for (const [runId, at, keys] of PRIOR_SMS)
      await recordDeliveries(
        store,
        { job: 'sms-blast', atMs: Date.parse(at), runId, destination: 'webhook:sms', channel: 'sms' },
        keys,
      );
    await store.close();
  }, 120_000);
  afterAll(async () => {
    await wh?.drop();
    await crm?.drop();
  });

  it('--dry-run: the funnel shows no_address, opted_out, capped and quiet_hours, and nothing is held', async () => {
    const r = await cli(['run', 'members-reach.yaml', '--dry-run', '--at', AT]);
    expect(r.stderr).not.toMatch(/error/i);
    expect(r.code).toBe(0);
    // 12 members, no conversions. 3 has no bound address; 5 ('*') and 6 (NULL) opted out of
    // everything on the CRM; 11 has SMS only and 2 SMS this week (max 2); 8, 10 and 12 go to
    // the call list, quiet at 21:00. Left: 1, 7 (WeCom), 2, 4, 9 (SMS).
    expect(r.summary).toMatchObject({
      status: 'dry_run',
      funnel: [
        { rule: 'audience', remaining: 12 },
        { rule: 'converted', remaining: 12 },
        { rule: 'delivered', remaining: 12 },
        { rule: 'no_address', remaining: 11 },
        { rule: 'opted_out', remaining: 9 },
        { rule: 'capped', remaining: 8 },
        { rule: 'quiet_hours', remaining: 5 },
      ],
    });
    for (const [rule, remaining] of [
      ['no_address', 11],
      ['opted_out', 9],
      ['capped', 8],
      ['quiet_hours', 5],
    ] as const)
      expect(r.stderr).toMatch(new RegExp(`^\\s+${rule}\\s+[█▏▎▍▌▋▊▉]*\\s+${remaining}\\s`, 'm'));
    // Nothing recorded: no run, no hold (the ledger holds only the seeded SMS deliveries).
    const store = await openStateStore(state);
    try {
      expect(await listRuns(store, { limit: 10 })).toEqual([]);
      expect(await listHolds(store)).toEqual([]);
    } finally {
      await store.close();
    }
  });

  it('a run: opt-outs from the CRM connection count (4 falls back to SMS, 7 opted out after at); runs show lists the held call leads', async () => {
    const r = await cli(['run', 'members-reach.yaml', '--at', AT]);
    expect(r.stderr).not.toMatch(/error/i);
    expect(r.code).toBe(0);
    const runId = String(r.summary?.run_id);
    expect(r.summary).toMatchObject({
      leads: 5,
      counts: { rows: 12, no_address: 1, opted_out: 2, capped: 1, quiet_hours: 3 },
    });
    const rows = (file: string) => readFileSync(join(dir, file), 'utf8').trim().split(/\r?\n/).slice(1).sort();
    expect(rows(`wecom-${runId}.csv`)).toEqual(['1,会员1,wecom,wx_1', '7,会员7,wecom,wx_7']);
    expect(rows(`sms-${runId}.csv`)).toEqual([
      '2,会员2,sms,13800000002',
      '4,会员4,sms,13800000004',
      '9,会员9,sms,13800000009',
    ]);
    expect(rows(`call-${runId}.csv`)).toEqual([]);

    const show = await cli(['runs', 'show', runId]);
    expect(show.code).toBe(0);
    expect(show.stdout).toMatch(/^counts\s+.*quiet_hours 3/m);
    const since = '2026-11-23T13:00:00Z'; // the holding run's at, 21:00 in Shanghai
    expect(show.stdout).toContain('held in quiet hours (3):\n');
    for (const key of ['8', '10', '12'])
      expect(show.stdout).toContain(
        `  ${key}  outbound_call  138000000${key.padStart(2, '0')}  since ${since} (run ${runId})\n`,
      );
    const json = await cli(['runs', 'show', runId, '--json']);
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout).held).toEqual(
      ['10', '12', '8'].map((key) => ({
        person_key: key,
        channel: 'outbound_call',
        address: `138000000${key.padStart(2, '0')}`,
        held_at: since,
        held_by_run: runId,
      })),
    );
  });
});
