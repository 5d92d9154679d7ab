// `run --csv -` puts the leads on stdout, which cannot be taken back: a run that fails before its
// first lead must write nothing at all there (the header waits for the first lead), one that
// fails later leaves the header and whole lines only, and the exit code says it failed. The real
// CLI in a child process, on a SQLite warehouse whose views fail at a chosen row.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.ts';

const PEOPLE = 5000;
const HEADER = 'user_id,name,checked\r\n';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'crm-leads-csv-stdout-failure-'));
  const db = new Database(join(dir, 'wh.db'));
  // json('not json') fails while the row is read: at the first row, or after three batches.
  db.exec(`create table people (user_id integer primary key, name text);
    with recursive n(x) as (select 1 union all select x + 1 from n where x < ${PEOPLE})
    insert into people select x, 'person ' || x from n;
    create view fails_first as select user_id, name, case when user_id = 1 then json('not json') else 'ok' end as checked from people;
    create view fails_later as select user_id, name, case when user_id = 3500 then json('not json') else 'ok' end as checked from people;
    create view works as select user_id, name, 'ok' as checked from people`);
  db.close();
  writeFileSync(join(dir, 'connections.yaml'), 'wh: { type: sqlite, path: wh.db }\n');
  const job = (name: string, table: string, where = '') =>
    writeFileSync(
      join(dir, `${name}.yaml`),
      `name: ${name}
source: wh
timezone: UTC
audience: { table: ${table}, key: user_id${where} }
lead: { fields: [user_id, name, checked] }
destinations: [ { type: csv, path: out/x.csv } ]
`,
    );
  job('fails-first', 'fails_first');
  job('fails-later', 'fails_later');
  job('nobody', 'works', ', where: { user_id: { gt: 999999 } }');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const preview = (job: string) => runCli(['run', `${job}.yaml`, '--csv', '-'], { cwd: dir });

describe('run --csv - that fails', () => {
  it('before its first lead: nothing at all on stdout, exit 1, one error line on stderr', async () => {
    const r = await preview('fails-first');
    expect(r.code, r.stderr).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr.split('\n').filter((l) => l.startsWith('error:'))).toEqual([
      expect.stringMatching(/^error: wh: malformed JSON/),
    ]);
    expect(r.summary).toMatchObject({ job: 'fails-first', status: 'failed', exit: 1 });
  });

  it('after some leads: the header and whole lines only, fewer than all, and exit 1', async () => {
    const r = await preview('fails-later');
    expect(r.code, r.stderr).toBe(1);
    expect(r.summary).toMatchObject({ job: 'fails-later', status: 'failed', exit: 1 });
    expect(r.stdout.startsWith(HEADER)).toBe(true);
    expect(r.stdout.endsWith('\r\n')).toBe(true);
    const rows = r.stdout.slice(HEADER.length).split('\r\n').slice(0, -1);
    expect(rows.length).toBeGreaterThan(0);
    expect(rows.length).toBeLessThan(3499);
    expect(rows).toEqual(rows.map((_, i) => `${i + 1},person ${i + 1},ok`));
  });
});

describe('run --csv - that succeeds', () => {
  it('without leads still prints the header, exit 0', async () => {
    const r = await preview('nobody');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe(HEADER);
    expect(r.summary).toMatchObject({ job: 'nobody', status: 'ok', leads: 0 });
  });
});
