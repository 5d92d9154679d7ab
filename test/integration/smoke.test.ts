// The quick start's shape on every dialect: one job, a real database, a CSV out.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.ts';
import { createTestDatabase, DIALECTS, loadFixture, type TestDatabase } from '../support/databases.ts';

describe.each(DIALECTS)('run on %s', (dialect) => {
  let db: TestDatabase;
  const dir = mkdtempSync(join(tmpdir(), 'crm-leads-smoke-'));
  beforeAll(async () => {
    db = await createTestDatabase(dialect, 'smoke');
    await loadFixture(db, [
      {
        name: 'dim_user',
        columns: { user_id: 'bigInteger', name: 'string', phone: 'string', income: 'integer' },
        rows: [
          { user_id: 1, name: '张伟', phone: '13800000001', income: 100 },
          { user_id: 2, name: 'O\'Brien, "Bob"', phone: '=1+1', income: 300 },
          { user_id: 9007199254740993n.toString(), name: '李娜', phone: null, income: 200 },
        ],
      },
      {
        name: 'orders',
        columns: { user_id: 'bigInteger', paid_at: 'datetime' },
        rows: [{ user_id: 1, paid_at: '2026-11-01 00:00:00' }],
      },
    ]);
    writeFileSync(join(dir, 'connections.yaml'), `wh: ${db.yaml}\n`);
    writeFileSync(
      join(dir, 'job.yaml'),
      `name: smoke\nsource: wh\naudience: { table: dim_user }\nexclude: { converted: { table: orders, time: paid_at, within: 30d } }\nlead: { fields: [user_id, name, phone], order_by: { income: desc } }\ndestinations: [ { type: csv, path: out.csv, bom: false } ]\n`,
    );
  });
  afterAll(async () => db?.drop());

  it('streams the leads into a CSV and prints a JSON summary', async () => {
    const r = await runCli(['run', 'job.yaml', '--at', '2026-11-23T00:00:00'], { cwd: dir });
    expect(r.stderr).not.toMatch(/error/);
    expect(r.code).toBe(0);
    expect(r.summary).toMatchObject({ job: 'smoke', status: 'ok', leads: 2 });
    expect(readFileSync(join(dir, 'out.csv'), 'utf8')).toBe(
      `user_id,name,phone\r\n2,"O'Brien, ""Bob""",'=1+1\r\n9007199254740993,李娜,\r\n`,
    );
  });
});
