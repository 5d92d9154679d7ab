// Many delivered people (issue 13) meet the warehouse by a merge join: the lead query and the
// response query come ordered by the key's text (src/sql/key-order.ts) and the stream walks the
// sorted delivered people alongside. Here text keys that engines order differently by default
// (case, accents, a trailing space, a full-width letter, a character above U+FFFF, digits of
// different lengths) on SQLite, MariaDB with its default utf8mb4_general_ci, and PostgreSQL:
// every delivered person must be met (a disagreement in order would miss people or stop the run
// with the out-of-order error). With a lead.order_by the job's own order is kept and each row is
// looked up instead. CRM_LEADS_FOLLOW_UP_BIND_LIMIT=0 makes the 15 people "many".
// The ledger is a real SQLite state store written through recordDeliveries.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DateTime } from 'luxon';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recordDeliveries } from '../../src/state/deliveries.ts';
import { openStateStore } from '../../src/state/state-store.ts';
import { runCli } from '../support/cli.ts';
import { createTestDatabase, DIALECTS, loadFixture, type TestDatabase } from '../support/databases.ts';

const TZ = 'UTC';
const AT = DateTime.fromISO('2026-11-22T00:00:00', { zone: TZ });
const FIRST = AT.minus({ days: 2 }); // the first batch's acknowledgement
const SECOND = AT.minus({ days: 1 }); // the second's
const naive = (t: DateTime) => t.toFormat('yyyy-MM-dd HH:mm:ss');
/** The CSV rows of a one-job run on stdout, in the order written (no header). */
const leads = (stdout: string) => stdout.split(/\r?\n/).slice(1, -1);

const ASTRAL = '\u{1D538}'; // MATHEMATICAL DOUBLE-STRUCK CAPITAL A, 4 bytes in UTF-8
const FULL_WIDTH = '\uFF21'; // FULLWIDTH LATIN CAPITAL LETTER A
// Delivered, in the merge order: length in characters, then code point.
const DELIVERED = ['9', 'A', 'B', 'Z', 'a', 'b', 'z', 'Ä', 'É', 'ä', FULL_WIDTH, ASTRAL, '10', 'a ', 'aa'];
// In the first batch (sms); the rest, and 'a' and 'z' again, in the second (app_push): their latest.
const FIRST_BATCH = ['10', 'A', 'a', 'z', 'É', FULL_WIDTH, '9'];
const SECOND_BATCH = ['aa', 'B', 'a ', 'Z', ASTRAL, 'ä', 'Ä', 'b', 'a', 'z'];
// Clicked an hour after their latest delivery: responded. 'a' clicked before it (does not count).
const CLICKED = ['ä', 'A', ASTRAL, '10', 'a '];

const job = (
  name: string,
  extra: string,
  lead = 'fields: [code, follow_up.delivered_at, follow_up.channel]',
) => `name: ${name}
source: wh
timezone: ${TZ}
audience:
  table: people
  key: code
  follow_up:
    job: push
    within: 3d
${extra}
lead: { ${lead} }
`;

describe.each(DIALECTS)('many follow-up people with text keys on %s', (dialect) => {
  let db: TestDatabase;
  const dir = mkdtempSync(join(tmpdir(), 'crm-leads-follow-up-order-'));
  const state = join(dir, 'state.db');
  const run = (file: string) =>
    runCli(['run', file, '--at', AT.toFormat("yyyy-MM-dd'T'HH:mm:ss"), '--csv', '-', '--state', state], {
      cwd: dir,
      env: { CRM_LEADS_FOLLOW_UP_BIND_LIMIT: '0' },
    });
  const deliveredAt = (code: string) => (FIRST_BATCH.includes(code) && !SECOND_BATCH.includes(code) ? FIRST : SECOND);
  const channel = (code: string) => (deliveredAt(code) === FIRST ? 'sms' : 'app_push');
  const row = (code: string) => `${code},${naive(deliveredAt(code))},${channel(code)}`;

  beforeAll(async () => {
    db = await createTestDatabase(dialect, 'follow_up_key_order', { mysqlCollation: 'utf8mb4_general_ci' });
    await loadFixture(db, [
      {
        name: 'people',
        columns: { code: 'string' },
        rows: [...DELIVERED, 'never'].map((code) => ({ code })),
      },
      {
        name: 'events',
        columns: { code: 'string', event_name: 'string', event_time: 'datetime' },
        rows: [
          ...CLICKED.map((code) => ({
            code,
            event_name: 'click_push',
            event_time: naive(deliveredAt(code).plus({ hours: 1 })),
          })),
          { code: 'a', event_name: 'click_push', event_time: naive(SECOND.minus({ hours: 1 })) },
          { code: 'never', event_name: 'click_push', event_time: naive(SECOND.plus({ hours: 1 })) },
        ],
      },
    ]);
    const store = await openStateStore(state);
    const ctx = { job: 'push', atMs: FIRST.toMillis(), runId: 'r', destination: 'w' };
    await recordDeliveries(store, { ...ctx, channel: 'sms' }, FIRST_BATCH);
    await store.knex('crm_leads_deliveries').update({ delivered_ms: FIRST.toMillis() });
    await recordDeliveries(store, { ...ctx, channel: 'app_push' }, SECOND_BATCH);
    await store.knex('crm_leads_deliveries').where({ channel: 'app_push' }).update({ delivered_ms: SECOND.toMillis() });
    await store.close();
    writeFileSync(join(dir, 'connections.yaml'), `wh: ${db.yaml}\n`);
    writeFileSync(join(dir, 'all.yaml'), job('all', ''));
    writeFileSync(
      join(dir, 'call.yaml'),
      job('call', '    responded: { table: events, key: code, event: click_push, within: 2d }'),
    );
    writeFileSync(
      join(dir, 'top.yaml'),
      job('top', '', 'fields: [code, follow_up.channel], order_by: { code: desc }, limit: 4'),
    );
  }, 120_000);
  afterAll(async () => {
    await db?.drop();
  });

  it('meets every delivered person once, in the merge order, with their latest delivery', async () => {
    const r = await run('all.yaml');
    expect(r.stderr).not.toMatch(/error/i);
    expect(r.stderr).toContain('all: 15 people delivered by push in the window (met in the stream)');
    expect(r.code).toBe(0);
    expect(r.stdout.split(/\r?\n/)[0]).toBe('code,follow_up.delivered_at,follow_up.channel');
    expect(leads(r.stdout)).toEqual(DELIVERED.map(row));
  });

  it('responded: the responses merge in the same order (the click before the delivery does not count)', async () => {
    const r = await run('call.yaml');
    expect(r.stderr).toContain(
      'call: 15 people delivered by push in the window, 5 of them responded (met in the stream)',
    );
    expect(r.code).toBe(0);
    expect(leads(r.stdout)).toEqual(['A', 'ä', ASTRAL, '10', 'a '].map(row));
  });

  it('lead.order_by keeps its order and limit: the rows are looked up, not merged', async () => {
    const r = await run('top.yaml');
    expect(r.stderr).toContain('(met in the stream, looked up by key: lead.order_by sets the order)');
    expect(r.code).toBe(0);
    // Code points descending: the people delivered, 'never' (delivered to nobody) skipped.
    expect(leads(r.stdout)).toEqual([`${ASTRAL},app_push`, `${FULL_WIDTH},sms`, 'ä,app_push', 'É,sms']);
  });
});
