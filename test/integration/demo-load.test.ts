// `demo load` into real MariaDB and PostgreSQL (and SQLite): the quick start then gives the
// same CSV, byte for byte, as on the embedded demo; loading again replaces only the demo
// tables.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.ts';
import { createTestDatabase, type TestDatabase, type TestDialect } from '../support/databases.ts';

const QUICKSTART = new URL('../../examples/quickstart.yaml', import.meta.url).pathname;
const DEMO = new URL('../../examples/demo.db', import.meta.url).pathname;
// Any fixed time: the quick start's 30-day window is measured back from it on both sides.
const AT = '2026-11-23T09:00:00';

// Seed jobs that read the channel tables: the same leads on a loaded demo as on the embedded
// one (opt-outs with a NULL channel included). Run as previews at the hour the demo was built.
const SEED_JOBS = ['hotel-high-net-worth', 'high-value-multichannel'].map(
  (name) => new URL(`../../jobs/${name}.yaml`, import.meta.url).pathname,
);
const CHANNEL_ENV = {
  WECOM_HOOK: 'http://127.0.0.1:9/wecom',
  WECOM_HOOK_SECRET: 'x',
  SMS_GATEWAY: 'http://127.0.0.1:9/sms',
  SMS_GATEWAY_SECRET: 'x',
};
function builtAt(): string {
  const db = new Database(DEMO, { readonly: true });
  const { at } = db
    .prepare(
      "select strftime('%Y-%m-%dT%H:00:00', max(event_time), '+1 hour') as at from events where event_name = 'view_item'",
    )
    .get() as { at: string };
  db.close();
  return at;
}
/** Both jobs' CSV lines (stdout of `run --csv -`), sorted: the multichannel job has no order_by. */
const sortedLines = (stdout: string) =>
  stdout
    .split('\r\n')
    .filter((l) => l !== '')
    .sort();

let embedded = '';
let embeddedSeedLeads: string[] = [];
beforeAll(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'crm-leads-demo-embedded-'));
  writeFileSync(join(dir, 'connections.yaml'), `demo: { type: sqlite, path: "${DEMO}" }\n`);
  const r = await runCli(['run', QUICKSTART, '--at', AT, '--csv', 'out.csv', '--connections', 'connections.yaml'], {
    cwd: dir,
    timeoutMs: 120_000,
  });
  expect(r.code).toBe(0);
  embedded = readFileSync(join(dir, 'out.csv'), 'utf8');
  // The quick start finds people on the demo: an empty CSV would prove nothing.
  expect(embedded.split('\r\n').length).toBeGreaterThan(10);
  const seed = await runCli(
    ['run', ...SEED_JOBS, '--at', builtAt(), '--csv', '-', '--connections', 'connections.yaml'],
    { cwd: dir, env: CHANNEL_ENV },
  );
  expect(seed.code, seed.stderr).toBe(0);
  embeddedSeedLeads = sortedLines(seed.stdout);
  expect(embeddedSeedLeads.length).toBeGreaterThan(100);
}, 180_000);

describe.each<TestDialect>(['mysql', 'postgres', 'sqlite'])('demo load into %s', (dialect) => {
  let db: TestDatabase;
  const dir = mkdtempSync(join(tmpdir(), `crm-leads-demo-${dialect}-`));
  const cli = (args: string[]) =>
    runCli([...args, '--connections', 'connections.yaml'], { cwd: dir, timeoutMs: 300_000 });

  beforeAll(async () => {
    db = await createTestDatabase(dialect, 'demo_load');
    // A table of the user's own, which demo load must leave alone.
    await db.knex.schema.createTable('my_own', (t) => t.integer('id'));
    await db.knex('my_own').insert([{ id: 1 }, { id: 2 }]);
    writeFileSync(join(dir, 'connections.yaml'), `demo: ${db.yaml}\n`);
  }, 60_000);
  afterAll(async () => db?.drop());

  it('loads the demo; the quick start gives the same CSV as on the embedded demo', async () => {
    const load = await cli(['demo', 'load', 'demo']);
    expect(load.stderr).toContain('demo load demo: 8 tables');
    expect(load.code).toBe(0);
    const r = await cli(['run', QUICKSTART, '--at', AT, '--csv', 'out.csv']);
    expect(r.code).toBe(0);
    expect(readFileSync(join(dir, 'out.csv'), 'utf8')).toBe(embedded);
    const seed = await runCli(
      ['run', ...SEED_JOBS, '--at', builtAt(), '--csv', '-', '--connections', 'connections.yaml'],
      { cwd: dir, env: CHANNEL_ENV },
    );
    expect(seed.code, seed.stderr).toBe(0);
    expect(sortedLines(seed.stdout)).toEqual(embeddedSeedLeads);
  }, 400_000);

  it('loading again replaces the demo tables only (same rows, my_own untouched)', async () => {
    const load = await cli(['demo', 'load', 'demo']);
    expect(load.code).toBe(0);
    expect(Number((await db.knex('dim_user').count({ n: '*' }))[0].n)).toBe(5000);
    expect((await db.knex('my_own').select('id').orderBy('id')).map((r) => r.id)).toEqual([1, 2]);
    const r = await cli(['run', QUICKSTART, '--at', AT, '--csv', 'again.csv']);
    expect(r.code).toBe(0);
    expect(readFileSync(join(dir, 'again.csv'), 'utf8')).toBe(embedded);
  }, 400_000);
});

describe('demo load refuses what it cannot do', () => {
  it('an unknown connection or a Hive connection: exit 2', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'crm-leads-demo-bad-'));
    writeFileSync(join(dir, 'connections.yaml'), 'hive: { type: hive, host: 127.0.0.1 }\n');
    const unknown = await runCli(['demo', 'load', 'nope', '--connections', 'connections.yaml'], { cwd: dir });
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('unknown connection "nope" (known: hive)');
    const hive = await runCli(['demo', 'load', 'hive', '--connections', 'connections.yaml'], { cwd: dir });
    expect(hive.code).toBe(2);
    expect(hive.stderr).toContain('demo load writes to SQLite, MySQL/MariaDB or PostgreSQL, not hive');
  });
});
