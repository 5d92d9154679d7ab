// The table destination on real MariaDB, PostgreSQL and SQLite CRM databases: batched upserts
// and inserts in transactions, the run columns, resuming, a row the table refuses, and tables
// that cannot take the leads (a missing column, upsert without its unique index) refused
// before any row is written.
import type { Knex } from 'knex';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.ts';
import { createTestDatabase, DIALECTS, type TestDatabase } from '../support/databases.ts';
import { deliveryWorkspace, type DeliveryWorkspace } from '../support/delivery-fixture.ts';

const PEOPLE = 50;

function tableJob(name: string, table: string, mode: 'insert' | 'upsert', extra = ''): string {
  return (
    [
      `name: ${name}`,
      'source: wh',
      'audience: { table: people, key: user_id }',
      'lead:',
      '  fields: [user_id, name, phone]',
      '  channel: outbound_call',
      extra,
      'destinations:',
      `  - { type: table, connection: crm, table: ${table}, mode: ${mode}, batch_size: 7 }`,
    ]
      .filter(Boolean)
      .join('\n') + '\n'
  );
}

// A CRM's table: its own id and status columns, which the destination leaves alone.
function crmTable(db: TestDatabase, options: { unique?: boolean; without?: string[]; refuse?: number } = {}) {
  return (t: Knex.CreateTableBuilder) => {
    t.increments('id');
    t.bigInteger('user_id').notNullable();
    t.string('name', 100);
    t.string('phone', 20);
    for (const c of ['job', 'run_id', 'channel']) if (!options.without?.includes(c)) t.string(c, 100);
    if (!options.without?.includes('delivered_at'))
      t.specificType(
        'delivered_at',
        db.dialect === 'postgres' ? 'timestamp(0)' : db.dialect === 'mysql' ? 'datetime' : 'text',
      );
    t.string('status', 20).defaultTo('new');
    if (options.unique) t.unique(['job', 'user_id']);
    if (options.refuse) t.check(`user_id <> ${options.refuse}`);
  };
}

describe.each(DIALECTS)('table destination on %s', (dialect) => {
  let ws: DeliveryWorkspace;
  let crm: TestDatabase;
  beforeAll(async () => {
    ws = await deliveryWorkspace(`delivery_table_wh_${dialect}`, PEOPLE);
    crm = await createTestDatabase(dialect, 'delivery_table');
    ws.addConnections([`crm: ${crm.yaml}`]);
    await crm.knex.schema.createTable('crm_leads', crmTable(crm, { unique: true }));
    await crm.knex.schema.createTable('crm_log', crmTable(crm, { refuse: 13 }));
    await crm.knex.schema.createTable('crm_short', crmTable(crm, { without: ['channel', 'delivered_at'] }));
    await crm.knex.schema.createTable('crm_no_key', crmTable(crm));
  });
  afterAll(async () => {
    await crm?.drop();
    await ws?.close();
  });

  const run = (job: string, at: string) => runCli(['run', job, '--at', at], { cwd: ws.dir });

  it("upserts on (job, person key): a later run updates the same rows, the CRM's own columns untouched", async () => {
    const job = ws.writeJob('to-crm', tableJob('to-crm', 'crm_leads', 'upsert'));
    const first = await run(job, '2026-11-20T09:00:00');
    expect(first.code, first.stderr).toBe(0);
    expect(first.summary!.outputs).toEqual([
      { type: 'table', target: 'crm.crm_leads', delivered: PEOPLE, failed: 0, already_delivered: 0 },
    ]);
    await crm.knex('crm_leads').where({ user_id: 7 }).update({ status: 'called' });
    const rows = await crm.knex('crm_leads').select('*').orderBy('user_id');
    expect(rows).toHaveLength(PEOPLE);
    expect(rows[6]).toMatchObject({
      user_id: expect.anything(),
      name: 'person 7',
      phone: '13800000007',
      job: 'to-crm',
      run_id: first.summary!.run_id,
      channel: 'outbound_call',
    });
    // delivered_at is UTC (pg reads a timestamp as local time: this process runs in UTC or not, compare both ways).
    const v = rows[6].delivered_at;
    const deliveredMs =
      v instanceof Date ? v.getTime() - v.getTimezoneOffset() * 60_000 : Date.parse(`${String(v).replace(' ', 'T')}Z`);
    expect(Math.abs(Date.now() - deliveredMs)).toBeLessThan(5 * 60_000);

    const second = await run(job, '2026-11-21T09:00:00');
    expect(second.code, second.stderr).toBe(0);
    const after = await crm.knex('crm_leads').select('*').orderBy('user_id');
    expect(after).toHaveLength(PEOPLE);
    expect(new Set(after.map((r) => r.run_id))).toEqual(new Set([second.summary!.run_id]));
    expect(after.map((r) => r.id)).toEqual(rows.map((r) => r.id));
    expect(after[6].status).toBe('called');
  });

  it('inserts; a row the table refuses fails alone (exit 3), the rest of its batch is written; the same --at retries only it', async () => {
    const job = ws.writeJob('to-log', tableJob('to-log', 'crm_log', 'insert'));
    const first = await run(job, '2026-11-20T09:00:00');
    expect(first.code, first.stderr).toBe(3);
    expect(first.summary).toMatchObject({ status: 'partial', not_delivered: 1 });
    expect((await crm.knex('crm_log').pluck('user_id')).map(Number).sort((a, b) => a - b)).toEqual(
      Array.from({ length: PEOPLE }, (_, i) => i + 1).filter((k) => k !== 13),
    );
    const shown = JSON.parse(
      (await runCli(['runs', 'show', String(first.summary!.run_id), '--json'], { cwd: ws.dir })).stdout,
    );
    expect(shown.failures).toEqual([
      { destination: 'table:crm.crm_log', person_key: '13', error: expect.stringMatching(/check|constraint/i) },
    ]);

    const again = await run(job, '2026-11-20T09:00:00');
    expect(again.code).toBe(3);
    expect(again.summary!.outputs).toEqual([
      { type: 'table', target: 'crm.crm_log', delivered: 0, failed: 1, already_delivered: PEOPLE - 1 },
    ]);
    const [{ n }] = await crm.knex('crm_log').count({ n: '*' });
    expect(Number(n)).toBe(PEOPLE - 1); // nothing inserted twice
  });

  it('refuses a table without the run columns, or upsert without its unique index, before writing a row', async () => {
    const short = await run(
      ws.writeJob('to-short', tableJob('to-short', 'crm_short', 'insert')),
      '2026-11-20T09:00:00',
    );
    expect(short.code).toBe(1);
    expect(short.stderr).toMatch(
      /error: table crm\.crm_short: missing columns channel, delivered_at \(the table needs the lead fields, the person key user_id, and job, run_id, channel, delivered_at\); nothing was written/,
    );
    expect(await crm.knex('crm_short').count({ n: '*' })).toEqual([{ n: dialect === 'postgres' ? '0' : 0 }]);

    const noKey = await run(
      ws.writeJob('to-no-key', tableJob('to-no-key', 'crm_no_key', 'upsert')),
      '2026-11-20T09:00:00',
    );
    expect(noKey.code).toBe(1);
    expect(noKey.stderr).toMatch(
      /error: table crm\.crm_no_key: upsert needs a unique index \(or primary key\) on exactly \(job, user_id\)/,
    );
    expect(Number((await crm.knex('crm_no_key').count({ n: '*' }))[0].n)).toBe(0);

    const missing = await run(
      ws.writeJob('to-nowhere', tableJob('to-nowhere', 'crm_nowhere', 'insert')),
      '2026-11-20T09:00:00',
    );
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/error: table crm\.crm_nowhere: table crm_nowhere does not exist on connection crm/);
    // Failed runs are in the ledger with their error.
    const runs = JSON.parse((await runCli(['runs', '--job', 'to-short', '--json'], { cwd: ws.dir })).stdout);
    expect(runs[0]).toMatchObject({ status: 'failed', error: expect.stringMatching(/missing columns/) });
  });
});
