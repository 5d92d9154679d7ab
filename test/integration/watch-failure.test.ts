// `crm-leads watch` when the warehouse is down (issue 11): the tick fails with one log line,
// the watermark does not move, the watcher retries with backoff instead of exiting, and once
// the warehouse is back the events that matured during the outage are delivered, once. Also:
// bad realtime keys are exit 2 at their key, and SIGHUP with a broken file keeps the previous
// version.
import { mkdtempSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.ts';
import { createTestDatabase, loadFixture, type TestDatabase } from '../support/databases.ts';
import { leadsOf, startReceiver, type Receiver } from '../support/http-receiver.ts';
import { startCli } from '../support/long-running-cli.ts';

const naive = (ms: number) => new Date(ms).toISOString().slice(0, 19).replace('T', ' ');

const job = (url: string, every = '1s') => `name: signups
source: wh
timezone: UTC
realtime: { every: ${every}, lateness: 1s, start: 1m }
audience: { table: dim_user }
trigger: { table: events, event: signup, within: 1h }
lead: { fields: [user_id] }
destinations: [ { type: webhook, url: "${url}" } ]
`;

describe('watch: warehouse down, bad realtime keys, SIGHUP', () => {
  let db: TestDatabase;
  let dir: string;
  let receiver: Receiver;
  let path: string;
  beforeAll(async () => {
    db = await createTestDatabase('sqlite', 'watch_failure');
    await loadFixture(db, [
      { name: 'dim_user', columns: { user_id: 'integer' }, rows: [{ user_id: 1 }, { user_id: 2 }] },
      {
        name: 'events',
        columns: { user_id: 'integer', event_name: 'string', event_time: 'datetime' },
        rows: [],
      },
    ]);
    path = (db.connection as { path: string }).path;
    receiver = await startReceiver();
    dir = mkdtempSync(join(tmpdir(), 'crm-leads-watch-fail-'));
    writeFileSync(join(dir, 'connections.yaml'), `wh: ${db.yaml}\n`);
    writeFileSync(join(dir, 'job.yaml'), job(receiver.url));
  });
  afterAll(async () => {
    await receiver.close();
    await db.drop();
  });

  it('a tick against a missing warehouse fails in one line, keeps the watermark, retries, then delivers', async () => {
    await db.knex('events').insert({ user_id: 1, event_name: 'signup', event_time: naive(Date.now()) });
    await db.knex.destroy();
    renameSync(path, `${path}.away`); // the warehouse is gone
    const child = startCli(['watch', 'job.yaml', '--connections', 'connections.yaml', '--log-format', 'json'], {
      cwd: dir,
    });
    try {
      const failed = await child.waitFor((e) => e.event === 'tick_failed', 60_000);
      expect(failed.msg).toMatch(/^signups: tick at .* failed \(.*\); the watermark stays at .*; retrying in \d+s$/);
      expect(failed.msg).not.toContain('\n');
      await sleep(2500); // more failures, with backoff: still running
      expect(child.child.exitCode).toBeNull();
      const failures = child.events.filter((e) => e.event === 'tick_failed').map((e) => e.retry_in_ms);
      expect(failures.length).toBeGreaterThanOrEqual(2);
      expect(failures[1] as number).toBeGreaterThan(failures[0] as number); // backoff grows
      renameSync(`${path}.away`, path); // back
      await child.waitFor((e) => e.event === 'tick' && e.leads === 1, 60_000);
      await sleep(2000);
      const keys = receiver.acknowledged.flatMap((r) => leadsOf(r).map((l) => String(l.key)));
      expect(keys).toEqual(['1']);
    } finally {
      child.child.kill('SIGTERM');
      expect(await child.exited()).toBe(0);
    }
  }, 120_000);

  it('rejects bad realtime keys with exit 2 at their key, nothing watched', async () => {
    const bad = job(receiver.url).replace(
      'realtime: { every: 1s, lateness: 1s, start: 1m }',
      'realtime: { every: 0s, lately: 1s }',
    );
    writeFileSync(join(dir, 'bad.yaml'), bad);
    const r = await runCli(['watch', 'bad.yaml', '--connections', 'connections.yaml'], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/bad\.yaml:4:\d+: realtime\.every: "0s": a duration must be positive/);
    expect(r.stderr).toMatch(/bad\.yaml:4:\d+: realtime\.lately: unknown key "lately"/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it('SIGHUP with a broken job file keeps the previous version watching', async () => {
    writeFileSync(join(dir, 'hup.yaml'), job(receiver.url).replace('name: signups', 'name: hup'));
    const child = startCli(['watch', 'hup.yaml', '--connections', 'connections.yaml', '--log-format', 'json'], {
      cwd: dir,
    });
    try {
      await child.waitFor((e) => e.event === 'watching', 60_000);
      writeFileSync(join(dir, 'hup.yaml'), 'name: hup\nsource: wh\naudience: { table: dim_user\n');
      child.child.kill('SIGHUP');
      const failed = await child.waitFor((e) => e.event === 'reload_failed', 30_000);
      expect(failed.msg).toMatch(/hup\.yaml: not reloaded, the previous version stays watched/);
      await child.waitFor((e) => e.event === 'reloaded', 30_000);
      expect(child.child.exitCode).toBeNull();
    } finally {
      child.child.kill('SIGTERM');
      expect(await child.exited()).toBe(0);
    }
  }, 120_000);
});
