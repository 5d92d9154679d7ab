// 二次触达 end to end (issue 13): a push job really runs and delivers to a local HTTP receiver;
// then a call job (follow_up.responded) and an SMS job (follow_up.not_responded) run at later
// --at's on SQLite, MariaDB, PostgreSQL and Hive (the HiveServer2 test server, MariaDB behind
// it: the statements are HiveQL with the values written in; the ledger stays in SQLite). The delivery time D is the push's acknowledgement,
// read back from the ledger; the click events are written relative to it, and the people each
// job gives are written by hand (reasoning beside each person).
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { DateTime } from 'luxon';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { csvThenSummaryPerJob, runCli } from '../support/cli.ts';
import { createTestDatabase, loadFixture, testDatabaseName, type TestDatabase } from '../support/databases.ts';
import { startHiveTestServer, type HiveTestServer } from '../support/hive-server/index.ts';
import { startReceiver, type Receiver } from '../support/http-receiver.ts';
import { csvRowsPerJob, ENGINES } from '../support/fixture-engines.ts';
import { followUpJobText } from '../support/follow-up-job.ts';

const TZ = 'Asia/Shanghai';
const PEOPLE = [601, 602, 603, 604, 605, 606, 607, 608];

const PUSH = `name: cart-push
source: wh
timezone: ${TZ}
audience: { table: dim_user, where: { push_ok: 1 } }
lead: { fields: [user_id], channel: app_push }
destinations:
  - { type: webhook, url: "\${RECEIVER_URL}", batch_size: 100 }
`;
const HEADER = 'user_id,phone,follow_up.delivered_at,follow_up.channel';

describe.each(ENGINES)('follow-ups on %s', (engine) => {
  let db: TestDatabase;
  let hive: HiveTestServer | undefined;
  let receiver: Receiver;
  const dir = mkdtempSync(join(tmpdir(), 'crm-leads-follow-up-'));
  const state = join(dir, 'state.db');
  let D: DateTime; // the push's acknowledgement, whole seconds, in the jobs' timezone
  const naive = (t: DateTime) => t.toFormat('yyyy-MM-dd HH:mm:ss');
  const iso = (t: DateTime) => t.toFormat("yyyy-MM-dd'T'HH:mm:ss");
  const run = (files: string[], at: DateTime, env: NodeJS.ProcessEnv = {}) =>
    runCli(['run', ...files, '--at', iso(at), '--csv', '-', '--state', state], { cwd: dir, env });

  beforeAll(async () => {
    receiver = await startReceiver();
    const name = engine === 'hive' ? 'follow_up_hive' : 'follow_up';
    db = await createTestDatabase(engine === 'hive' ? 'mysql' : engine, name);
    await loadFixture(db, [
      {
        name: 'dim_user',
        columns: { user_id: 'bigInteger', phone: 'string', push_ok: 'integer' },
        // 608 is not pushed (push_ok 0): it clicks, but no first touch reached it.
        rows: PEOPLE.map((id) => ({ user_id: id, phone: `137000${id}`, push_ok: id === 608 ? 0 : 1 })),
      },
      {
        name: 'events',
        columns: { user_id: 'bigInteger', event_name: 'string', event_time: 'datetime', campaign: 'string' },
        rows: [],
        indexes: [['user_id', 'event_name', 'event_time']],
      },
    ]);
    // Hive: the jobs read through the test server; the clicks below are written to MariaDB behind it.
    if (engine === 'hive') hive = await startHiveTestServer({ database: testDatabaseName(name) });
    const wh = hive
      ? `{ type: hive, host: 127.0.0.1, port: ${hive.port}, database: ${testDatabaseName(name)}, connect_timeout: 10s }`
      : db.yaml;
    writeFileSync(join(dir, 'connections.yaml'), `wh: ${wh}\n`);
    writeFileSync(join(dir, 'cart-push.yaml'), PUSH);
    writeFileSync(join(dir, 'cart-call.yaml'), followUpJobText('cart-call', 'responded'));
    writeFileSync(join(dir, 'cart-sms.yaml'), followUpJobText('cart-sms', 'not_responded'));
    // The first touch: a real run delivering to the receiver (the ledger records the acknowledgement).
    const push = await runCli(['run', 'cart-push.yaml', '--state', state], {
      cwd: dir,
      env: { RECEIVER_URL: receiver.url },
    });
    expect(push.stderr).not.toMatch(/error/i);
    expect(push.code).toBe(0);
    const ledger = new Database(state, { readonly: true });
    const acks = ledger.prepare('select distinct delivered_ms from crm_leads_deliveries').all() as {
      delivered_ms: number;
    }[];
    ledger.close();
    expect(acks).toHaveLength(1); // one batch, one acknowledgement
    D = DateTime.fromMillis(acks[0].delivered_ms, { zone: TZ }).startOf('second');
    const click = (user_id: number, t: DateTime, campaign = 'cart', event_name = 'click_push') => ({
      user_id,
      event_name,
      event_time: naive(t),
      campaign,
    });
    await db.knex('events').insert([
      click(601, D.plus({ hours: 1 })), // clicked an hour later: responded
      click(602, D), // at the delivery instant: (D, ...] is open on the left, does not count
      click(603, D.plus({ days: 2 })), // exactly D + 2d: closed on the right, counts
      click(604, D.plus({ days: 2, seconds: 1 })), // a second too late
      // 605: no click at all
      click(606, D.plus({ hours: 1 }), 'other'), // another campaign (where fails)
      click(607, D.plus({ hours: 1 }), 'cart', 'view_item'), // another event
      click(608, D.plus({ hours: 1 })), // clicked, but was never pushed
    ]);
  }, 120_000);
  afterAll(async () => {
    await receiver?.close();
    await hive?.close();
    await db?.drop();
  });

  it('delivered the first touch to the receiver', () => {
    const leads = receiver.acknowledged.flatMap((r) => JSON.parse(r.body).leads) as {
      key: unknown;
      user_id: unknown;
    }[];
    expect(leads.map((l) => String(l.key)).sort()).toEqual(['601', '602', '603', '604', '605', '606', '607']);
    // The key has the JSON type of its column's field (issue 9.4): a number on SQLite, the
    // driver's text for a BIGINT on MariaDB and PostgreSQL.
    for (const l of leads) expect(l.key).toStrictEqual(l.user_id);
  });

  // The 7 delivered keys are bound into the queries (few people); with the bind limit at 0 the
  // whole audience is read and the stream meets the keys (many people): the same leads.
  it.each([
    ['bound into the query', '1000'],
    ['met in the stream', '0'],
  ])(
    'at D + 2d + 1h: the call job gets those who clicked in (D, D + 2d], the SMS job the others (%s)',
    async (how, limit) => {
      const seen = hive?.statements.length ?? 0;
      const r = await run(['cart-call.yaml', 'cart-sms.yaml'], D.plus({ days: 2, hours: 1 }), {
        CRM_LEADS_FOLLOW_UP_BIND_LIMIT: limit,
      });
      expect(r.stderr).not.toMatch(/error/i);
      expect(r.stderr).toContain(`7 people delivered by cart-push in the window, 2 of them responded (${how})`);
      expect(r.code).toBe(0);
      const leads = csvRowsPerJob(csvThenSummaryPerJob(r), HEADER);
      const row = (id: number) => `${id},137000${id},${naive(D)},app_push`;
      expect(leads.get('cart-call')).toEqual([601, 603].map(row));
      expect(leads.get('cart-sms')).toEqual([602, 604, 605, 606, 607].map(row));
      if (hive) {
        // Both jobs' lead and response queries reached Hive, with the 7 keys written in or without them.
        const statements = hive.statements.slice(seen).filter((s) => /\bfrom `(dim_user|events)`/.test(s));
        const inList = /`user_id` in \(\d+(, \d+){6}\)/;
        expect(statements).toHaveLength(4);
        for (const s of statements) expect(s).toMatch(how === 'bound into the query' ? inList : /^(?!.* in \().*$/s);
      }
    },
  );

  it('at exactly D + 2d: the wait is just over; a click exactly then still counts as a response', async () => {
    const r = await run(['cart-sms.yaml'], D.plus({ days: 2 }));
    expect(r.code).toBe(0);
    expect(
      csvRowsPerJob(csvThenSummaryPerJob(r), HEADER)
        .get('cart-sms')
        ?.map((l) => l.split(',')[0]),
    ).toEqual(['602', '604', '605', '606', '607']);
  });

  it('before D + 2d the SMS job waits (nobody yet); after D + 3d the delivery is out of the window', async () => {
    const early = await run(['cart-sms.yaml'], D.plus({ days: 2 }).minus({ seconds: 1 }));
    expect(early.code).toBe(0);
    expect(csvRowsPerJob(csvThenSummaryPerJob(early), HEADER).get('cart-sms')).toEqual([]);
    const late = await run(['cart-call.yaml'], D.plus({ days: 3, seconds: 1 }));
    expect(late.code).toBe(0);
    expect(csvRowsPerJob(csvThenSummaryPerJob(late), HEADER).get('cart-call')).toEqual([]);
  });
});
