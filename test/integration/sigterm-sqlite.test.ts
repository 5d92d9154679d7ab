// SIGTERM / SIGINT end a run on the embedded SQLite warehouse at once, even while SQLite is in a
// step that holds the first row back for minutes (better-sqlite3 is synchronous: before its
// reads ran in a process of their own, the signal waited for the step to return). The real CLI
// in a child process, a real SQLite file whose `people` view scans a billion generated rows
// before it finds anyone; the signal must end the run within seconds with exit 1, the run
// interrupted in the ledger, the lock released, no temporary file and the previous CSV untouched.
// The same for a --dry-run, whose funnel counts run the same scan (before, it waited for the
// 30 s grace).
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.ts';
import { spawnCli, until } from '../support/delivery-fixture.ts';

const PREVIOUS = 'the previous file\r\n';
// The run stops at once, not after the 30 s grace of src/cli/run-command.ts: 10 s leave room for
// a loaded machine (the step itself runs for minutes).
const WITHIN_SECONDS = 10;

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'crm-leads-sigterm-sqlite-'));
  // The slow warehouse: a view over a recursive CTE of 10^9 rows, where only the last matches.
  const slow = new Database(join(dir, 'slow.db'));
  slow.exec(`create view people as
    with recursive n(x) as (select 1 union all select x + 1 from n where x < 1000000000)
    select x as user_id, 'person ' || x as name, '138' || x as phone from n`);
  slow.close();
  // The same job's table, small, to show the lock was released.
  const small = new Database(join(dir, 'small.db'));
  small.exec(`create table people (user_id integer primary key, name text, phone text);
    insert into people values (1000000000, 'person 1000000000', '1381000000000')`);
  small.close();
  writeFileSync(join(dir, 'slow.yaml'), `wh: { type: sqlite, path: slow.db }\n`);
  writeFileSync(join(dir, 'small.yaml'), `wh: { type: sqlite, path: small.db }\n`);
  writeFileSync(
    join(dir, 'last.yaml'),
    `name: last
source: wh
timezone: UTC
audience: { table: people, key: user_id, where: { user_id: { gte: 1000000000 } } }
lead: { fields: [user_id, name, phone] }
destinations: [ { type: csv, path: out/last.csv } ]
`,
  );
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// The run's status in the ledger, read from the state file as the CLI left it.
function runStatuses(): string[] {
  let ledger: Database.Database;
  try {
    ledger = new Database(join(dir, '.crm-leads', 'state.db'), { readonly: true, fileMustExist: true });
  } catch {
    return [];
  }
  try {
    return (ledger.prepare('select status from crm_leads_runs order by started_ms').all() as { status: string }[]).map(
      (r) => r.status,
    );
  } catch {
    return []; // the schema is still being created
  } finally {
    ledger.close();
  }
}

describe.each(['SIGTERM', 'SIGINT'] as const)('%s during a long SQLite step', (signal) => {
  it('ends the run within seconds: exit 1, interrupted, lock released, nothing left behind', async () => {
    rmSync(join(dir, '.crm-leads'), { recursive: true, force: true });
    mkdirSync(join(dir, 'out'), { recursive: true });
    writeFileSync(join(dir, 'out', 'last.csv'), PREVIOUS);
    const run = spawnCli(['run', 'last.yaml', '--connections', 'slow.yaml'], { cwd: dir });
    try {
      await until(() => runStatuses().includes('running'), 60_000, 'the run to start');
      // Opening the warehouse and starting the query follow the run record: two seconds put the
      // run well inside the scan, which lasts minutes.
      await new Promise((r) => setTimeout(r, 2000));
      expect(run.child.exitCode, run.stderr()).toBeNull();
      const sent = Date.now();
      run.child.kill(signal);
      const r = await run.done;
      expect((Date.now() - sent) / 1000, r.stderr).toBeLessThan(WITHIN_SECONDS);
      expect(r.code, r.stderr).toBe(1);
      expect(r.stderr).toMatch(/^error: wh: query cancelled: stopped by SIG(TERM|INT)$/m);
      expect(r.stderr).not.toMatch(/^\s+at /m);
      expect(r.summary).toMatchObject({ job: 'last', status: 'failed', exit: 1 });
    } finally {
      run.child.kill('SIGKILL');
    }
    expect(runStatuses()).toEqual(['interrupted']);
    expect(readdirSync(join(dir, 'out'))).toEqual(['last.csv']);
    expect(readFileSync(join(dir, 'out', 'last.csv'), 'utf8')).toBe(PREVIOUS);
    // The lock was released: the same job on the small warehouse runs at once, without --wait.
    const next = await runCli(['run', 'last.yaml', '--connections', 'small.yaml'], { cwd: dir });
    expect(next.code, next.stderr).toBe(0);
    expect(next.summary).toMatchObject({ status: 'ok', leads: 1 });
    expect(readFileSync(join(dir, 'out', 'last.csv'), 'utf8')).toContain('1000000000,person 1000000000');
  }, 120_000);
});

// The CLI's child processes (Linux): the SQLite reader is one once the warehouse is open.
function childCommands(pid: number): string[] {
  const file = `/proc/${pid}/task/${pid}/children`;
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split(' ')
    .filter(Boolean)
    .map((child) => {
      try {
        return readFileSync(`/proc/${child}/cmdline`, 'utf8');
      } catch {
        return '';
      }
    });
}

describe('SIGTERM during the counts of a --dry-run on SQLite', () => {
  it('ends the run within seconds, exit 1, one line', async () => {
    const run = spawnCli(['run', 'last.yaml', '--connections', 'slow.yaml', '--dry-run'], { cwd: dir });
    try {
      await until(
        () => childCommands(run.child.pid!).some((c) => c.includes('sqlite-reader')),
        60_000,
        'the warehouse to open',
      );
      // The first count follows the opening at once, and scans for minutes.
      await new Promise((r) => setTimeout(r, 2000));
      expect(run.child.exitCode, run.stderr()).toBeNull();
      const sent = Date.now();
      run.child.kill('SIGTERM');
      const r = await run.done;
      expect((Date.now() - sent) / 1000, r.stderr).toBeLessThan(WITHIN_SECONDS);
      expect(r.code, r.stderr).toBe(1);
      expect(r.stderr.split('\n').filter((l) => l.startsWith('error:'))).toEqual([
        'error: wh: query cancelled: stopped by SIGTERM',
      ]);
    } finally {
      run.child.kill('SIGKILL');
    }
  }, 120_000);
});
