// The documented jobs in jobs/ on the demo warehouse (examples/demo.db): every one validates,
// and every one runs and finds people. The seed's sentences (issue 13) are checked against
// the people examples/build-demo.ts put there for them: the high-net-worth hotel regulars (30
// hotel orders over 2,000 yuan in 30 days), the fridge viewers who paid for something else
// (still leads) or for a fridge (not), and the second touch: the push job really delivers to a
// local receiver, some pushed people click, and the call job at a later --at gets exactly them.
import { copyFileSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { DateTime } from 'luxon';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { csvThenSummaryPerJob, runCli, summaryLines } from '../support/cli.ts';
import { startReceiver, type Receiver } from '../support/http-receiver.ts';

const TZ = 'Asia/Shanghai';
const root = fileURLToPath(new URL('../../', import.meta.url));
const DEMO = join(root, 'examples', 'demo.db');
const jobs = readdirSync(join(root, 'jobs'))
  .filter((f) => f.endsWith('.yaml'))
  .map((f) => join(root, 'jobs', f));
// A follow-up job finds people only after its first touch delivered: run in its own test below.
const followUps = jobs.filter((j) => /^\s+follow_up:/m.test(readFileSync(j, 'utf8')));
const standalone = jobs.filter((j) => !followUps.includes(j));
const env = {
  WECOM_HOOK: 'http://127.0.0.1:9/wecom',
  WECOM_HOOK_SECRET: 'demo-secret',
  SMS_GATEWAY: 'http://127.0.0.1:9/sms',
  SMS_GATEWAY_SECRET: 'demo-secret',
  APP_PUSH_GATEWAY: 'http://127.0.0.1:9/push',
};
const naive = (t: DateTime) => t.toFormat('yyyy-MM-dd HH:mm:ss');
const iso = (t: DateTime) => t.toFormat("yyyy-MM-dd'T'HH:mm:ss");

/** The first column (the person key) of each job's leads in `run a b --csv -`, sorted. */
function keysPerJob(r: Awaited<ReturnType<typeof runCli>>): Map<string, string[]> {
  const out = new Map<string, string[]>();
  let rows: string[] = [];
  for (const line of csvThenSummaryPerJob(r).split('\r\n')) {
    if (line.startsWith('{"job":')) {
      out.set(
        String(JSON.parse(line).job),
        rows
          .slice(1)
          .map((l) => l.split(',')[0])
          .sort(),
      );
      rows = [];
    } else if (line !== '') rows.push(line);
  }
  return out;
}

// The demo's times are relative to the hour it was built: run at that hour, so that the jobs'
// windows hold data however long ago `npm ci` built it.
let builtAt: DateTime;
beforeAll(() => {
  const db = new Database(DEMO, { readonly: true });
  const version = Number(db.pragma('user_version', { simple: true }));
  const { latest } = db
    .prepare("select max(event_time) as latest from events where event_name = 'view_item'")
    .get() as { latest: string };
  db.close();
  expect(
    version,
    'examples/demo.db predates the seed people: rebuild it with npm run build-demo',
  ).toBeGreaterThanOrEqual(2);
  builtAt = DateTime.fromFormat(latest, 'yyyy-MM-dd HH:mm:ss', { zone: TZ }).plus({ hours: 1 }).startOf('hour');
});

describe('jobs/ on the demo warehouse', () => {
  const connections = join(root, 'examples', 'connections.yaml');
  const cwd = mkdtempSync(join(tmpdir(), 'crm-leads-jobs-'));

  it('has the seed scenarios, and every one validates', async () => {
    expect(jobs.map((j) => j.split('/').pop())).toEqual(
      expect.arrayContaining([
        'cart-abandoners.yaml',
        'cart-abandoners-push.yaml',
        'cart-push-clickers-call.yaml',
        'fridge-deep-browse-not-paid.yaml',
        'high-value-multichannel.yaml',
        'hotel-high-net-worth.yaml',
        'hotel-high-value-bookers.yaml',
      ]),
    );
    expect(followUps.map((j) => j.split('/').pop())).toEqual(['cart-push-clickers-call.yaml']);
    const r = await runCli(['validate', ...jobs, '--connections', connections], { cwd, env });
    expect(r.stderr).not.toMatch(/error/i);
    expect(r.code).toBe(0);
  });

  it('runs every other job on the demo with exit 0 and some leads; the seed people are where they belong', async () => {
    const r = await runCli(
      ['run', ...standalone, '--connections', connections, '--at', iso(builtAt), '--csv', '-', '--state', 'state.db'],
      { cwd, env },
    );
    expect(r.stderr).not.toMatch(/error/i);
    expect(r.code).toBe(0);
    const summaries = summaryLines(r.stderr).map(
      (l) => JSON.parse(l) as { job: string; status: string; leads: number },
    );
    expect(summaries.map((s) => s.job).sort()).toEqual(
      standalone.map((j) => j.split('/').pop()!.replace('.yaml', '')).sort(),
    );
    for (const s of summaries) {
      expect(s.status, s.job).toBe('ok');
      expect(s.leads, s.job).toBeGreaterThan(0);
    }
    const keys = keysPerJob(r);
    // 30 to 36 hotel orders over 2,000 in the window each; 100066, 100070 and 100072 have 29
    // (their order of exactly 2,000 and the one 31 days old do not count).
    expect(keys.get('hotel-high-net-worth')).toEqual([
      '100027',
      '100032',
      '100040',
      '100043',
      '100045',
      '100046',
      '100050',
      '100052',
    ]);
    // Viewed Siemens fridge 37 three hours before the demo was built; 100004, 100008 and 100019
    // paid for a washer ten minutes later (no fridge bought: leads), 100023 and 100024 paid for
    // a fridge (not leads).
    const fridge = keys.get('fridge-deep-browse-not-paid') ?? [];
    expect(fridge).toEqual(expect.arrayContaining(['100004', '100008', '100019']));
    expect(fridge).not.toContain('100023');
    expect(fridge).not.toContain('100024');
  }, 120_000);
});

describe('二次触达 on the demo: the push job delivers, the clickers are called', () => {
  const dir = mkdtempSync(join(tmpdir(), 'crm-leads-demo-follow-up-'));
  const warehouse = join(dir, 'demo.db');
  let receiver: Receiver;
  const cli = (args: string[], extra: NodeJS.ProcessEnv = {}) =>
    runCli([...args, '--connections', 'connections.yaml', '--state', 'state.db'], {
      cwd: dir,
      env: { ...env, ...extra },
    });

  beforeAll(async () => {
    receiver = await startReceiver();
    // A copy: the clicks below are written into it.
    copyFileSync(DEMO, warehouse);
    writeFileSync(join(dir, 'connections.yaml'), 'demo: { type: sqlite, path: demo.db }\n');
  });
  afterAll(async () => receiver?.close());

  it('the call job gets the pushed people who clicked in (delivered_at, delivered_at + 2d]', async () => {
    const push = await cli(['run', join(root, 'jobs', 'cart-abandoners-push.yaml'), '--at', iso(builtAt)], {
      APP_PUSH_GATEWAY: receiver.url,
    });
    expect(push.stderr).not.toMatch(/error/i);
    expect(push.code).toBe(0);
    // The key keeps its column's JSON type (user_id is a number); compared as text below.
    const pushed = receiver.acknowledged
      .flatMap((q) => (JSON.parse(q.body) as { leads: { key: number; channel: string; address: string }[] }).leads)
      .map((l) => ({ ...l, key: String(l.key) }));
    // The push went out on app_push to the bound device token.
    expect(pushed.find((l) => l.key === '100019')).toMatchObject({ channel: 'app_push' });
    expect(pushed.find((l) => l.key === '100019')?.address).toMatch(/^tok_/);
    expect(pushed.map((l) => l.key)).toEqual(expect.arrayContaining(['100046', '100052']));
    expect(pushed.map((l) => l.key)).not.toContain('100004');
    // Each person's acknowledgement, to the second (the gateway took them in batches of 200):
    // clicks are only possible after it.
    const ledger = new Database(join(dir, 'state.db'), { readonly: true });
    const deliveredAt = (key: string) => {
      const { ms } = ledger
        .prepare("select delivered_ms as ms from crm_leads_deliveries where person_keys like '%' || ? || '%'")
        .get(`\n${key}\n`) as { ms: number };
      return DateTime.fromMillis(ms, { zone: TZ }).startOf('second');
    };
    const D = { 100019: deliveredAt('100019'), 100046: deliveredAt('100046'), 100052: deliveredAt('100052') };
    ledger.close();
    const db = new Database(warehouse);
    const click = db.prepare("insert into events values (?, 'click_push', ?, null, null, 'app', null)");
    click.run(100019, naive(D[100019].plus({ minutes: 10 }))); // clicked ten minutes later: called
    click.run(100046, naive(D[100046])); // at the delivery instant: not after it, not a response
    click.run(100052, naive(D[100052].plus({ days: 2 }))); // exactly 2 days later: still a response
    click.run(100004, naive(D[100019].plus({ minutes: 10 }))); // clicked, but was never pushed
    db.close();
    // Calls are quiet 21:00-09:00: run at the first 10:00 after every click, within 3 days of the push.
    const last = DateTime.max(D[100019], D[100046], D[100052]).plus({ days: 2 });
    let at = last.set({ hour: 10, minute: 0, second: 0, millisecond: 0 });
    if (at <= last) at = at.plus({ days: 1 });
    const call = await cli(['run', join(root, 'jobs', 'cart-push-clickers-call.yaml'), '--at', iso(at), '--csv', '-']);
    expect(call.stderr).not.toMatch(/error/i);
    expect(call.code).toBe(0);
    expect(call.stderr).toMatch(/people delivered by cart-abandoners-push in the window, 2 of them responded/);
    expect(keysPerJob(call).get('cart-push-clickers-call')).toEqual(['100019', '100052']);
    expect(call.stdout).toContain(`,${naive(D[100019])},app_push`);
  }, 120_000);
});

describe('二次触达 on the demo as the README walks it: push to a file, `demo respond`, then the call job', () => {
  const dir = mkdtempSync(join(tmpdir(), 'crm-leads-demo-respond-'));
  const cli = (args: string[]) =>
    runCli([...args, '--connections', 'connections.yaml', '--state', 'state.db'], { cwd: dir, env });

  beforeAll(() => {
    copyFileSync(DEMO, join(dir, 'demo.db'));
    writeFileSync(join(dir, 'connections.yaml'), 'demo: { type: sqlite, path: demo.db }\n');
  });

  it('30% of the pushed people click 10 minutes after their push, and the call job gets exactly those with a phone', async () => {
    const pushJob = join(root, 'jobs', 'cart-abandoners-push.yaml');
    const push = await cli(['run', pushJob, '--at', iso(builtAt), '--csv', 'push.csv', '--record']);
    expect(push.code, push.stderr).toBe(0);
    const pushed = readFileSync(join(dir, 'push.csv'), 'utf8').trim().split(/\r?\n/).length - 1;
    expect(pushed).toBeGreaterThan(100);

    const respond = await cli(['demo', 'respond', pushJob]);
    expect(respond.code, respond.stderr).toBe(0);
    const responders = Math.floor((pushed * 30) / 100);
    expect(respond.stderr).toContain(
      `${pushed} people delivered by cart-abandoners-push in the last 3 days; ${responders} of them got a click_push event 10m after their delivery`,
    );
    const db = new Database(join(dir, 'demo.db'), { readonly: true });
    const clicks = db.prepare("select user_id, event_time from events where event_name = 'click_push'").all() as {
      user_id: number;
      event_time: string;
    }[];
    db.close();
    expect(clicks).toHaveLength(responders);
    const lastClick = DateTime.fromFormat(
      clicks
        .map((c) => c.event_time)
        .sort()
        .at(-1)!,
      'yyyy-MM-dd HH:mm:ss',
      {
        zone: TZ,
      },
    );
    // The first 10:00 after the last click: outside the call job's quiet hours (21:00-09:00).
    let at = lastClick.set({ hour: 10, minute: 0, second: 0 });
    if (at <= lastClick) at = at.plus({ days: 1 });
    const call = await cli(['run', join(root, 'jobs', 'cart-push-clickers-call.yaml'), '--at', iso(at), '--csv', '-']);
    expect(call.code, call.stderr).toBe(0);
    const called = keysPerJob(call).get('cart-push-clickers-call') ?? [];
    const summary = JSON.parse(summaryLines(call.stderr).at(-1)!);
    // Every responder is a lead unless they have no phone (require: [phone]).
    expect(called.length + summary.counts.unreachable).toBe(responders);
    expect(called.length).toBeGreaterThan(0);
    const clicked = new Set(clicks.map((c) => String(c.user_id)));
    for (const key of called) expect(clicked.has(key), key).toBe(true);
  }, 120_000);
});
