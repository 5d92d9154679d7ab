// `crm-leads schedule` as a supervisor runs it: a real child process, seconds-level cron
// (6 fields), real signals. Slow runs are real slow queries: PostgreSQL views that call
// pg_sleep, once per query or once per row.
import { existsSync, mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import Database from 'better-sqlite3';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.ts';
import { createTestDatabase, loadFixture, type TestDatabase } from '../support/databases.ts';
import { startCli, type LogEvent } from '../support/long-running-cli.ts';

const EVERY_SECOND = '"* * * * * *"';
const PEOPLE = {
  name: 'people',
  columns: { user_id: 'bigInteger', name: 'string', phone: 'string' },
  rows: [
    { user_id: 1, name: 'Ann', phone: '13800000001' },
    { user_id: 2, name: 'Bo', phone: '13800000002' },
  ],
};

function jobYaml(name: string, source: string, table: string, out: string, schedule = EVERY_SECOND): string {
  return [
    `name: ${name}`,
    `source: ${source}`,
    'timezone: Asia/Shanghai',
    `schedule: ${schedule}`,
    `audience: { table: ${table}, key: user_id }`,
    'lead: { fields: [user_id, name, phone] }',
    `destinations: [ { type: csv, path: "${out}/{{job}}/{{run_id}}.csv", bom: false } ]`,
    '',
  ].join('\n');
}

/** Walks the log in order: how many runs were active at most, and whether a job ever ran twice at once. */
function activity(events: LogEvent[]): { maxActive: number; sameJobTwice: boolean } {
  const active = new Set<string>();
  let maxActive = 0;
  let sameJobTwice = false;
  for (const e of events) {
    if (e.event === 'started') {
      if (active.has(e.job!)) sameJobTwice = true;
      active.add(e.job!);
      maxActive = Math.max(maxActive, active.size);
    } else if (e.event === 'finished' || e.event === 'failed' || e.event === 'interrupted') active.delete(e.job!);
  }
  return { maxActive, sameJobTwice };
}

const count = (events: LogEvent[], match: (e: LogEvent) => boolean) => events.filter(match).length;

describe('schedule with slow PostgreSQL jobs', () => {
  let pg: TestDatabase;
  const dir = mkdtempSync(join(tmpdir(), 'crm-leads-schedule-pg-'));
  beforeAll(async () => {
    pg = await createTestDatabase('postgres', 'schedule');
    await loadFixture(pg, [PEOPLE]);
    await pg.knex.raw(
      `CREATE FUNCTION slow_true(seconds float8) RETURNS boolean LANGUAGE plpgsql AS $$ BEGIN PERFORM pg_sleep(seconds); RETURN true; END $$`,
    );
    // One sleep per query (an uncorrelated subquery is evaluated once): each run takes 1.5 s.
    await pg.knex.raw('CREATE VIEW slow_people AS SELECT p.* FROM people p WHERE (SELECT slow_true(1.5))');
    // One sleep per row over 5,000 rows: rows arrive in batches of 1,000 about two seconds apart,
    // so a run takes more than 10 s and notices an abort at the next batch.
    await pg.knex.raw(
      `CREATE VIEW crawling_people AS SELECT g::bigint AS user_id, 'p' || g AS name, '1380000' || g AS phone FROM generate_series(1, 5000) g WHERE slow_true(0.002)`,
    );
    writeFileSync(join(dir, 'connections.yaml'), `pg: ${pg.yaml}\n`);
    mkdirSync(join(dir, 'jobs'));
    writeFileSync(join(dir, 'jobs', 'slow-a.yaml'), jobYaml('slow-a', 'pg', 'slow_people', 'out'));
    writeFileSync(join(dir, 'jobs', 'slow-b.yaml'), jobYaml('slow-b', 'pg', 'slow_people', 'out'));
    mkdirSync(join(dir, 'crawl'));
    writeFileSync(join(dir, 'crawl', 'crawl.yaml'), jobYaml('crawl', 'pg', 'crawling_people', 'crawl-out'));
  });
  afterAll(async () => pg?.drop());

  it('never overlaps a job with itself, runs one job at a time by default, and lets the running one finish on SIGTERM', async () => {
    const cli = startCli(['schedule', '--log-format', 'json', '--grace', '20s'], { cwd: dir });
    // Two slow jobs ticking every second: each tick during a run is skipped and logged.
    await cli.waitFor((e) => e.event === 'next_run' && e.job === 'slow-b');
    for (let finished = 0; finished < 3; ) {
      await cli.waitFor((e) => e.event === 'finished', 20_000, cli.events.length);
      finished++;
    }
    const started = await cli.waitFor((e) => e.event === 'started', 20_000, cli.events.length);
    cli.child.kill('SIGTERM');
    expect(await cli.exited()).toBe(0);

    const events = cli.events;
    const { maxActive, sameJobTwice } = activity(events);
    expect(sameJobTwice).toBe(false);
    expect(maxActive).toBe(1);
    for (const job of ['slow-a', 'slow-b']) {
      expect(count(events, (e) => e.event === 'skipped' && e.job === job && e.reason === 'running')).toBeGreaterThan(0);
      expect(count(events, (e) => e.event === 'finished' && e.job === job)).toBeGreaterThan(0);
    }
    // SIGTERM: nothing new starts, the run in flight finishes within the grace period, exit 0.
    const stopping = events.findIndex((e) => e.event === 'stopping');
    expect(stopping).toBeGreaterThan(events.indexOf(started));
    expect(events.slice(stopping).some((e) => e.event === 'started')).toBe(false);
    expect(events.slice(stopping).find((e) => e.event === 'finished')).toMatchObject({
      job: started.job,
      at: started.at,
      status: 'ok',
      leads: 2,
    });
    expect(events.at(-1)).toMatchObject({ event: 'stopped', finished: [started.job], interrupted: [] });
    const summaries = cli.stdoutLines.map((l) => JSON.parse(l));
    expect(summaries.length).toBe(count(events, (e) => e.event === 'finished'));
    expect(summaries.every((s) => s.status === 'ok' && s.leads === 2)).toBe(true);
    // The run ledger holds every run, all ok, none left running.
    const runs = [...ledgerRuns(dir, 'slow-a'), ...ledgerRuns(dir, 'slow-b')];
    expect(runs.map((r) => r.status)).toEqual(summaries.map(() => 'ok'));
  });

  it('with --concurrency 2 runs different jobs side by side, still never one job twice', async () => {
    const cli = startCli(['schedule', 'jobs', '--log-format', 'json', '--concurrency', '2', '--grace', '20s'], {
      cwd: dir,
    });
    for (let finished = 0; finished < 4; ) {
      await cli.waitFor((e) => e.event === 'finished', 20_000, cli.events.length);
      finished++;
    }
    cli.child.kill('SIGINT');
    expect(await cli.exited()).toBe(0);
    const { maxActive, sameJobTwice } = activity(cli.events);
    expect(sameJobTwice).toBe(false);
    expect(maxActive).toBe(2);
  });

  it('cuts a run short when the grace period ends, records it as interrupted and exits 0', async () => {
    const cli = startCli(['schedule', 'crawl', '--log-format', 'json', '--grace', '1s'], { cwd: dir });
    const started = await cli.waitFor((e) => e.event === 'started' && e.job === 'crawl');
    cli.child.kill('SIGTERM');
    expect(await cli.exited()).toBe(0);
    // Stopped after the grace (1 s) plus at most one batch: far less than the 10 s the run needs.
    const stopping = cli.events.find((e) => e.event === 'stopping')!;
    const stopped = cli.events.find((e) => e.event === 'stopped')!;
    expect(Date.parse(stopped.time) - Date.parse(stopping.time)).toBeGreaterThanOrEqual(1_000);
    expect(Date.parse(stopped.time) - Date.parse(stopping.time)).toBeLessThan(6_000);
    const interrupted = cli.events.find((e) => e.event === 'interrupted');
    expect(interrupted).toMatchObject({ job: 'crawl', at: started.at, level: 'error' });
    expect(interrupted!.msg).toMatch(/grace period \(1s\) ended/);
    expect(cli.events.at(-1)).toMatchObject({ event: 'stopped', finished: [], interrupted: ['crawl'] });
    expect(cli.stdoutLines.map((l) => JSON.parse(l))).toEqual([
      expect.objectContaining({ job: 'crawl', status: 'interrupted' }),
    ]);
    // The CSV of a cut-short run is not left behind, not even half written.
    expect(existsSync(join(dir, 'crawl-out', 'crawl'))).toBe(true);
    expect(readdirSync(join(dir, 'crawl-out', 'crawl'))).toEqual([]);
    expect(ledgerRuns(dir, 'crawl')).toEqual([
      expect.objectContaining({ status: 'interrupted', error: expect.stringMatching(/grace period \(1s\) ended/) }),
    ]);
  });
});

describe('schedule reload and bad input', () => {
  let db: TestDatabase;
  const dir = mkdtempSync(join(tmpdir(), 'crm-leads-schedule-'));
  const jobFile = join(dir, 'jobs', 'reloaded.yaml');
  beforeAll(async () => {
    db = await createTestDatabase('sqlite', 'schedule_reload');
    await loadFixture(db, [PEOPLE]);
    writeFileSync(join(dir, 'connections.yaml'), `wh: ${db.yaml}\n`);
    mkdirSync(join(dir, 'jobs'));
    writeFileSync(jobFile, jobYaml('reloaded', 'wh', 'people', 'v1'));
    // A job whose table does not exist fails at every tick; the scheduler carries on.
    writeFileSync(join(dir, 'jobs', 'failing.yaml'), jobYaml('failing', 'wh', 'no_such_table', 'failing-out'));
  });
  afterAll(async () => db?.drop());

  it('SIGHUP reloads the job files; a broken file keeps the previous version; a failing job does not stop the others', async () => {
    const cli = startCli(['schedule', '--log-format', 'json', '--grace', '5s'], { cwd: dir });
    await cli.waitFor((e) => e.event === 'finished' && e.job === 'reloaded');

    writeFileSync(jobFile, 'name: reloaded\nschedule: "* * * * * *"\naudience: { table: [\n');
    let from = cli.events.length;
    cli.child.kill('SIGHUP');
    const failed = await cli.waitFor((e) => e.event === 'reload_failed', 10_000, from);
    expect(failed).toMatchObject({ file: jobFile, kept_previous: true, level: 'error' });
    const kept = await cli.waitFor((e) => e.event === 'scheduled', 10_000, from);
    expect(kept).toMatchObject({ jobs: 2, changed: [], removed: [] });
    // Still scheduled, as it was: the next run writes to v1.
    from = cli.events.length;
    await cli.waitFor((e) => e.event === 'finished' && e.job === 'reloaded', 10_000, from);
    expect(lastSummary(cli.stdoutLines, 'reloaded').outputs[0].target).toContain(join(dir, 'v1', 'reloaded'));

    writeFileSync(jobFile, jobYaml('reloaded', 'wh', 'people', 'v2'));
    from = cli.events.length;
    cli.child.kill('SIGHUP');
    expect(await cli.waitFor((e) => e.event === 'scheduled', 10_000, from)).toMatchObject({
      changed: ['reloaded'],
      removed: [],
    });
    await cli.waitFor((e) => e.event === 'finished' && e.job === 'reloaded', 10_000, cli.events.length);
    expect(lastSummary(cli.stdoutLines, 'reloaded').outputs[0].target).toContain(join(dir, 'v2', 'reloaded'));

    cli.child.kill('SIGTERM');
    expect(await cli.exited()).toBe(0);
    const failures = cli.events.filter((e) => e.event === 'failed' && e.job === 'failing');
    expect(failures.length).toBeGreaterThanOrEqual(2);
    expect(failures[0].msg).toMatch(/no_such_table/);
  });

  it('an invalid cron expression stops it before anything runs: exit 2, nothing scheduled or written', async () => {
    const bad = mkdtempSync(join(tmpdir(), 'crm-leads-schedule-bad-'));
    writeFileSync(join(bad, 'connections.yaml'), `wh: ${db.yaml}\n`);
    mkdirSync(join(bad, 'jobs'));
    writeFileSync(join(bad, 'jobs', 'good.yaml'), jobYaml('good', 'wh', 'people', 'out'));
    writeFileSync(join(bad, 'jobs', 'bad.yaml'), jobYaml('bad', 'wh', 'people', 'out', '"61 * * * *"'));
    const r = await runCli(['schedule'], { cwd: bad, timeoutMs: 20_000 });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(
      new RegExp(
        `${join(bad, 'jobs', 'bad.yaml')}:4:\\d+: schedule: "61 \\* \\* \\* \\*" is not a valid cron expression`,
      ),
    );
    expect(r.stderr).not.toMatch(/next run/);
    expect(r.stdout).toBe('');
    expect(existsSync(join(bad, 'out'))).toBe(false);
  });

  it('bad options and a folder without scheduled jobs are usage errors (exit 2)', async () => {
    const r1 = await runCli(['schedule', '--concurrency', '0'], { cwd: dir });
    expect(r1.code).toBe(2);
    expect(r1.stderr).toMatch(/--concurrency: "0" is not a positive whole number/);
    const r2 = await runCli(['schedule', '--grace', 'soon'], { cwd: dir });
    expect(r2.code).toBe(2);
    expect(r2.stderr).toMatch(/--grace: "soon" is not a duration/);
    const empty = mkdtempSync(join(tmpdir(), 'crm-leads-schedule-empty-'));
    writeFileSync(join(empty, 'connections.yaml'), `wh: ${db.yaml}\n`);
    writeFileSync(join(empty, 'once.yaml'), jobYaml('once', 'wh', 'people', 'out').replace(/^schedule:.*\n/m, ''));
    const r3 = await runCli(['schedule', '.'], { cwd: empty });
    expect(r3.code).toBe(2);
    expect(r3.stderr).toMatch(/no job with a schedule: to run/);
  });
});

function ledgerRuns(dir: string, job: string): { status: string; error: string | null }[] {
  const db = new Database(join(dir, '.crm-leads', 'state.db'), { readonly: true });
  try {
    return db.prepare('SELECT status, error FROM crm_leads_runs WHERE job = ? ORDER BY started_ms').all(job) as {
      status: string;
      error: string | null;
    }[];
  } finally {
    db.close();
  }
}

function lastSummary(lines: string[], job: string): { outputs: { target: string }[] } {
  return lines
    .map((l) => JSON.parse(l))
    .filter((s) => s.job === job)
    .at(-1);
}
