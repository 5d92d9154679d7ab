// Issue 9.4: a table destination qualified with another database (MariaDB `crm.crm_leads` on a
// connection whose default database is another) or schema (PostgreSQL `crm.crm_leads`) is
// found, checked (validate --connect and the run's own check at open) and written there. A
// decoy `crm_leads` in the connection's default database/schema, without the run columns,
// proves the checks look in the named one.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.ts';
import { createTestDatabase, loadFixture, testDatabaseName, type TestDatabase } from '../support/databases.ts';

const PEOPLE = [
  { user_id: 1, phone: '13800000001' },
  { user_id: 2, phone: '13800000002' },
];

const job = (table: string) =>
  `name: qualified\nsource: wh\ntimezone: Asia/Shanghai\naudience: { table: people }\nlead: { fields: [user_id, phone] }\n` +
  `destinations:\n  - { type: table, connection: wh, table: ${table} }\n`;

describe.each(['mysql', 'postgres'] as const)('a qualified table destination on %s', (dialect) => {
  let db: TestDatabase;
  // MariaDB: another database on the same server; PostgreSQL: a schema of the same database.
  const crm = dialect === 'mysql' ? testDatabaseName('qualified_crm') : 'crm';
  const dir = mkdtempSync(join(tmpdir(), 'crm-leads-qualified-'));
  beforeAll(async () => {
    db = await createTestDatabase(dialect, 'qualified');
    await loadFixture(db, [{ name: 'people', columns: { user_id: 'integer', phone: 'string' }, rows: PEOPLE }]);
    if (dialect === 'mysql') {
      await db.knex.raw(`DROP DATABASE IF EXISTS \`${crm}\``);
      await db.knex.raw(`CREATE DATABASE \`${crm}\` CHARACTER SET utf8mb4`);
    } else await db.knex.raw('CREATE SCHEMA crm');
    await db.knex.schema.withSchema(crm).createTable('crm_leads', (t) => {
      t.integer('user_id');
      t.string('phone');
      t.string('job');
      t.string('run_id');
      t.string('channel');
      t.string('delivered_at');
    });
    await db.knex.schema.createTable('crm_leads', (t) => t.integer('user_id')); // the decoy
    writeFileSync(join(dir, 'connections.yaml'), `wh: ${db.yaml}\n`);
    writeFileSync(join(dir, 'ok.yaml'), job(`${crm}.crm_leads`));
    writeFileSync(join(dir, 'missing-table.yaml'), job(`${crm}.crm_leadz`));
    writeFileSync(join(dir, 'decoy.yaml'), job('crm_leads'));
  }, 60_000);
  afterAll(async () => {
    if (dialect === 'mysql') await db?.knex.raw(`DROP DATABASE IF EXISTS \`${crm}\``);
    await db?.drop();
  });

  it('validate --connect finds and checks the table in the named database', async () => {
    const r = await runCli(['validate', 'ok.yaml', '--connect'], { cwd: dir });
    expect(r.stderr).not.toMatch(/error/);
    expect(r.code).toBe(0);
  });

  it('validate --connect reports a missing qualified table, and the decoy lacking columns, at destinations[0].table', async () => {
    const missing = await runCli(['validate', 'missing-table.yaml', '--connect'], { cwd: dir });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain(
      `${join(dir, 'missing-table.yaml')}:7:43: destinations[0].table: table "${crm}.crm_leadz" does not exist on connection wh`,
    );
    const decoy = await runCli(['validate', 'decoy.yaml', '--connect'], { cwd: dir });
    expect(decoy.code).toBe(2);
    expect(decoy.stderr).toContain(
      'destinations[0].table: table "crm_leads" on connection wh has no columns phone, job, run_id, channel, delivered_at',
    );
  });

  it('the run writes the leads into the named database, not the default one', async () => {
    const r = await runCli(['run', 'ok.yaml', '--at', '2026-11-23T09:00:00', '--state', join(dir, 'state.db')], {
      cwd: dir,
    });
    expect(r.stderr).not.toMatch(/error/);
    expect(r.code).toBe(0);
    const written = await db.knex
      .withSchema(crm)
      .from('crm_leads')
      .select('user_id', 'phone', 'job')
      .orderBy('user_id');
    expect(written.map((w) => ({ ...w, user_id: Number(w.user_id) }))).toEqual([
      { user_id: 1, phone: '13800000001', job: 'qualified' },
      { user_id: 2, phone: '13800000002', job: 'qualified' },
    ]);
    expect(await db.knex('crm_leads').count({ n: '*' })).toEqual([{ n: dialect === 'postgres' ? '0' : 0 }]);
  });
});
