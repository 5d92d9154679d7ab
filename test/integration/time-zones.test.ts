// Time means elapsed time, in the job's zone (issue 9, section 3), on real SQLite, MariaDB and
// PostgreSQL; the people are written by hand.
//   - s/m/h windows are elapsed time: hourly runs cover consecutive real hours across both DST
//     changes of America/New_York in 2026 (03-08 clocks forward, 11-01 back), with no hour
//     missed and none delivered twice; `d` is calendar days.
//   - columns that carry a zone (PostgreSQL timestamptz, MariaDB TIMESTAMP) are compared and
//     printed in the job's zone, whatever the zone of the process (TZ=America/New_York).
//   - a skipped local --at is refused (exit 2), a repeated one is named in the summary;
//     abbreviations are refused as timezone, and a job without one is warned about.
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { csvThenSummaryPerJob, runCli } from '../support/cli.ts';
import { createTestDatabase, DIALECTS, loadFixture, type TestDatabase } from '../support/databases.ts';
import { csvRowsPerJob } from '../support/fixture-engines.ts';
import { jobKeys, jobText } from '../support/job-leads.ts';

const NEW_YORK = 'America/New_York';
const event = (user_id: number, event_name: string, event_time: string) => ({ user_id, event_name, event_time });

// Naive local times in New York. 'signup' around each DST change; 'visit' for 24h against 1d.
const EVENTS = [
  // 2026-03-08: 02:00-03:00 does not exist; 01:30 EST is the real hour 06:00Z-07:00Z.
  event(1, 'signup', '2026-03-08 00:30:00'),
  event(2, 'signup', '2026-03-08 01:30:00'),
  event(3, 'signup', '2026-03-08 03:30:00'),
  event(4, 'signup', '2026-03-08 04:30:00'),
  // 2026-11-01: 01:00-02:00 happens twice (EDT, then EST); the warehouse cannot tell them apart.
  event(11, 'signup', '2026-11-01 00:30:00'),
  event(12, 'signup', '2026-11-01 01:15:00'),
  event(13, 'signup', '2026-11-01 01:45:00'),
  event(14, 'signup', '2026-11-01 02:30:00'),
  // --at 2026-03-08T03:30: 24h reaches back to 03-07 02:30 (24 real hours); 1d to 03-07 03:30.
  event(20, 'visit', '2026-03-07 02:45:00'),
  event(21, 'visit', '2026-03-07 03:45:00'),
  event(22, 'visit', '2026-03-08 03:15:00'),
];

const hourly = (event: string, within: string) =>
  jobText(
    `audience: { table: dim_user }\ntrigger: { table: events, event: ${event}, within: ${within} }\nlead: { fields: [user_id] }`,
    NEW_YORK,
  );

describe.each(DIALECTS)('windows across DST changes on %s', (dialect) => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase(dialect, 'time_windows');
    await loadFixture(db, [
      { name: 'dim_user', columns: { user_id: 'bigInteger' }, rows: EVENTS.map((e) => ({ user_id: e.user_id })) },
      {
        name: 'events',
        columns: { user_id: 'bigInteger', event_name: 'string', event_time: 'datetime' },
        rows: EVENTS,
      },
    ]);
  }, 120_000);
  afterAll(async () => db?.drop());

  it('spring forward: hourly runs cover 01:00-02:00 EST once (the 03:00 EDT run reads [01:00, 03:00))', async () => {
    const runs: Record<string, number[]> = {};
    for (const at of ['2026-03-08T06:00:00Z', '2026-03-08T07:00:00Z', '2026-03-08T08:00:00Z', '2026-03-08T09:00:00Z'])
      runs[at] = await jobKeys(db, hourly('signup', '1h'), at);
    expect(runs).toEqual({
      '2026-03-08T06:00:00Z': [1], // 01:00 EST: [00:00, 01:00)
      '2026-03-08T07:00:00Z': [2], // 03:00 EDT: one real hour back is 01:00 EST
      '2026-03-08T08:00:00Z': [3],
      '2026-03-08T09:00:00Z': [4],
    });
  });

  it('fall back: the repeated hour is delivered once, not twice', async () => {
    const runs: Record<string, number[]> = {};
    for (const at of ['2026-11-01T05:00:00Z', '2026-11-01T06:00:00Z', '2026-11-01T07:00:00Z', '2026-11-01T08:00:00Z'])
      runs[at] = await jobKeys(db, hourly('signup', '1h'), at);
    expect(runs).toEqual({
      '2026-11-01T05:00:00Z': [11], // 01:00 EDT: [00:00, 01:00)
      '2026-11-01T06:00:00Z': [], // 01:00 EST: one real hour back is 01:00 EDT, an empty [01:00, 01:00)
      '2026-11-01T07:00:00Z': [12, 13], // 02:00 EST: [01:00, 02:00)
      '2026-11-01T08:00:00Z': [14],
    });
  });

  it('24h is 24 real hours, 1d the same wall-clock time a day earlier (23 hours that day)', async () => {
    expect(await jobKeys(db, hourly('visit', '24h'), '2026-03-08T03:30:00')).toEqual([20, 21, 22]);
    expect(await jobKeys(db, hourly('visit', '1d'), '2026-03-08T03:30:00')).toEqual([21, 22]);
  });
});

// Asia/Shanghai is UTC+8. The run is at 10:00+08 with a 1h window: [09:00, 10:00) Shanghai time.
const ZONED = [
  { user_id: 1, utc: '2026-11-23 01:30:00' }, // 09:30+08: in the window
  { user_id: 2, utc: '2026-11-23 09:30:00' }, // 17:30+08: out (its UTC digits look "in")
  { user_id: 3, utc: '2026-11-23 00:30:00' }, // 08:30+08: out
];
// The same moments as naive Shanghai times, in a column without a zone.
const NAIVE = [
  event(1, 'signup', '2026-11-23 09:30:00'),
  event(2, 'signup', '2026-11-23 17:30:00'),
  event(3, 'signup', '2026-11-23 08:30:00'),
];

const zoneJob = (name: string, table: string) =>
  `name: ${name}\nsource: wh\ntimezone: Asia/Shanghai\naudience: { table: dim_user }\ntrigger: { table: ${table}, event: signup, within: 1h }\nlead: { fields: [user_id, trigger.event_time] }\n`;

describe.each(['mysql', 'postgres'] as const)('columns with a zone on %s', (dialect) => {
  let db: TestDatabase;
  const dir = mkdtempSync(join(tmpdir(), 'crm-leads-time-zones-'));
  beforeAll(async () => {
    db = await createTestDatabase(dialect, 'time_zoned');
    await loadFixture(db, [
      { name: 'dim_user', columns: { user_id: 'bigInteger' }, rows: [1, 2, 3].map((user_id) => ({ user_id })) },
      {
        name: 'events_naive',
        columns: { user_id: 'bigInteger', event_name: 'string', event_time: 'datetime' },
        rows: NAIVE,
      },
    ]);
    if (dialect === 'postgres') {
      await db.knex.raw('CREATE TABLE events_zoned (user_id bigint, event_name text, event_time timestamptz(0))');
      for (const z of ZONED)
        await db.knex.raw("INSERT INTO events_zoned VALUES (?, 'signup', CAST(? AS timestamptz))", [
          z.user_id,
          `${z.utc}+00`,
        ]);
    } else {
      await db.knex.raw(
        'CREATE TABLE events_zoned (user_id bigint, event_name varchar(32), event_time TIMESTAMP NULL)',
      );
      // FROM_UNIXTIME gives the instant whatever the loading session's time zone is.
      for (const z of ZONED)
        await db.knex.raw("INSERT INTO events_zoned VALUES (?, 'signup', FROM_UNIXTIME(?))", [
          z.user_id,
          Date.parse(`${z.utc.replace(' ', 'T')}Z`) / 1000,
        ]);
    }
    writeFileSync(join(dir, 'connections.yaml'), `wh: ${db.yaml}\n`);
    writeFileSync(join(dir, 'zoned.yaml'), zoneJob('zoned', 'events_zoned'));
    writeFileSync(join(dir, 'naive.yaml'), zoneJob('naive', 'events_naive'));
  }, 120_000);
  afterAll(async () => db?.drop());

  it('compares and prints both column kinds in the job zone, the process being in New York', async () => {
    const r = await runCli(['run', 'zoned.yaml', 'naive.yaml', '--at', '2026-11-23T10:00:00', '--csv', '-'], {
      cwd: dir,
      env: { TZ: NEW_YORK },
    });
    expect(r.code, r.stderr).toBe(0);
    const leads = csvRowsPerJob(csvThenSummaryPerJob(r), 'user_id,trigger.event_time');
    // PostgreSQL prints a timestamptz with its offset in the session zone, MariaDB a TIMESTAMP bare.
    const zoned = dialect === 'postgres' ? '1,2026-11-23 09:30:00+08' : '1,2026-11-23 09:30:00';
    expect(Object.fromEntries(leads)).toEqual({ zoned: [zoned], naive: ['1,2026-11-23 09:30:00'] });
  });
});

describe('--at, timezone and validate (SQLite)', () => {
  let db: TestDatabase;
  const dir = mkdtempSync(join(tmpdir(), 'crm-leads-time-at-'));
  beforeAll(async () => {
    db = await createTestDatabase('sqlite', 'time_at');
    await loadFixture(db, [
      { name: 'dim_user', columns: { user_id: 'bigInteger' }, rows: EVENTS.map((e) => ({ user_id: e.user_id })) },
      {
        name: 'events',
        columns: { user_id: 'bigInteger', event_name: 'string', event_time: 'datetime' },
        rows: EVENTS,
      },
    ]);
    writeFileSync(join(dir, 'connections.yaml'), `wh: ${db.yaml}\n`);
    writeFileSync(join(dir, 'ny.yaml'), hourly('signup', '1h').replace('name: t', 'name: ny'));
    writeFileSync(join(dir, 'cst.yaml'), hourly('signup', '1h').replace(`timezone: ${NEW_YORK}`, 'timezone: CST'));
    writeFileSync(join(dir, 'no-zone.yaml'), hourly('signup', '1h').replace(`timezone: ${NEW_YORK}\n`, ''));
    await db.knex.schema.createTable('leads_out', (t) => {
      for (const column of ['user_id', 'event_time', 'job', 'run_id', 'channel', 'delivered_at']) t.text(column);
    });
    writeFileSync(
      join(dir, 'watch.yaml'),
      jobText(
        'realtime: { every: 30m, lateness: 0s }\naudience: { table: dim_user }\ntrigger: { table: events, event: signup, within: 1h }\nlead: { fields: { user_id: user_id, event_time: trigger.event_time } }\ndestinations: [ { type: table, connection: wh, table: leads_out } ]',
        NEW_YORK,
      ).replace('name: t', 'name: nyw'),
    );
  }, 120_000);
  afterAll(async () => db?.drop());

  it('a local --at the clocks skip is refused with a hint, exit 2, nothing written', async () => {
    const r = await runCli(['run', 'ny.yaml', '--at', '2026-03-08T02:30', '--csv', join(dir, 'gap.csv')], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(
      'error: --at: "2026-03-08T02:30" does not exist in America/New_York: the clocks go forward over it that day; write a local time outside the skipped hour, or a time with an offset, e.g. 2026-03-08T03:30:00-04:00',
    );
    expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
    expect(existsSync(join(dir, 'gap.csv'))).toBe(false);
  });

  it('a repeated local --at is taken as its first occurrence, and the summary says so', async () => {
    const r = await runCli(['run', 'ny.yaml', '--at', '2026-11-01T01:30', '--csv', '-'], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    expect(r.summary).toMatchObject({
      at: '2026-11-01T01:30:00-04:00',
      at_note:
        '--at 2026-11-01T01:30 happens twice in America/New_York; taken as the first, 2026-11-01T01:30:00-04:00 (EDT), not 2026-11-01T01:30:00-05:00 (EST): give an offset to choose',
    });
    // One real hour back from 01:30 EDT is 00:30: [00:30, 01:30) holds 11 (00:30) and 12 (01:15).
    expect(r.stdout.split('\r\n').filter((l) => /^\d/.test(l))).toEqual(['11', '12']);
  });

  it('watch from a repeated local time: says which, and reads each naive time of the repeated hour once', async () => {
    const r = await runCli(
      [
        'watch',
        'watch.yaml',
        '--state',
        join(dir, 'state.db'),
        '--from',
        '2026-11-01T01:30',
        '--until',
        '2026-11-01T03:00-05:00',
      ],
      { cwd: dir },
    );
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain(
      'warning: nyw: --from 2026-11-01T01:30 happens twice in America/New_York; taken as the first, 2026-11-01T01:30:00-04:00 (EDT), not 2026-11-01T01:30:00-05:00 (EST): give an offset to choose',
    );
    // Ticks every 30 real minutes from 05:30Z: [01:30, 01:00) is empty, then [01:00, 01:30),
    // [01:30, 02:00), [02:00, 02:30), [02:30, 03:00) in naive local time.
    const rows = await db.knex('leads_out').select('user_id', 'event_time').orderBy('user_id');
    expect(rows).toEqual([
      { user_id: '12', event_time: '2026-11-01 01:15:00' },
      { user_id: '13', event_time: '2026-11-01 01:45:00' },
      { user_id: '14', event_time: '2026-11-01 02:30:00' },
    ]);
  });

  it('an abbreviation is not a timezone; a job without one is valid with a warning', async () => {
    const cst = await runCli(['validate', 'cst.yaml'], { cwd: dir });
    expect(cst.code).toBe(2);
    expect(cst.stderr.trim()).toBe(
      `error: ${join(dir, 'cst.yaml')}:3:11: timezone: "CST" is an abbreviation, which names different zones (CST is China, US Central or Cuba) and ignores daylight saving: write an IANA name such as Asia/Shanghai, America/Chicago or America/New_York`,
    );
    const none = await runCli(['validate', 'no-zone.yaml', 'ny.yaml'], { cwd: dir });
    expect(none.code, none.stderr).toBe(0);
    expect(none.stderr.trim().split('\n')).toEqual([
      `warning: ${join(dir, 'no-zone.yaml')}: timezone: not set: the warehouse times are read as UTC; write the zone they are in, an IANA name such as timezone: Asia/Shanghai`,
      `ok: ${join(dir, 'no-zone.yaml')} (t, source wh)`,
      `ok: ${join(dir, 'ny.yaml')} (ny, source wh)`,
      `ok: ${join(dir, 'connections.yaml')} (1 connection)`,
    ]);
  });
});
