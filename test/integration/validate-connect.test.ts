// `validate --connect` on real MariaDB, PostgreSQL and SQLite: a missing table, and a missing
// column in each job section, each reported at its position (file:line:column and key path),
// exit 2; a correct job passes. A run of the same job maps the warehouse's unknown-column error
// back to the job keys, never to an alias of the compiled SQL (a.citty).
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.ts';
import { createTestDatabase, DIALECTS, loadFixture, type TestDatabase } from '../support/databases.ts';

const GOOD = `name: check-me
source: wh
audience:
  table: dim_user
  where:
    city: [北京]
    age: { gte: 20 }
  segments:
    value_tier: [high]
  tags:
    table: user_tag
    column: tag
    all: [购买力强]
trigger:
  table: events
  event: view_item
  within: 24h
  where: { duration_s: { gte: 60 } }
  item: { table: dim_item, where: { category: fridge } }
exclude:
  converted: { table: orders, time: paid_at, within: 30d, where: { category: fridge } }
lead:
  fields:
    姓名: name
    手机号: phone
    浏览时间: trigger.event_time
  order_by: { income: desc }
`;

// One misspelt column in every section: where, segments, tags, trigger, item, exclude, lead
// fields (a column and a trigger column), order_by.
const TYPOS: [string, string, string][] = [
  ['    city: [北京]', '    citty: [北京]', 'audience.where.citty'],
  ['    value_tier: [high]', '    value_teir: [high]', 'audience.segments.value_teir'],
  ['    column: tag\n', '    column: tagg\n', 'audience.tags.column'],
  ['{ duration_s: {', '{ duraton_s: {', 'trigger.where.duraton_s'],
  ['where: { category: fridge } }\nexclude', 'where: { categry: fridge } }\nexclude', 'trigger.item.where.categry'],
  ['within: 30d, where: { category:', 'within: 30d, where: { categoryy:', 'exclude.converted.where.categoryy'],
  ['    手机号: phone', '    手机号: phnoe', 'lead.fields.手机号'],
  ['    浏览时间: trigger.event_time', '    浏览时间: trigger.evnt_time', 'lead.fields.浏览时间'],
  ['{ income: desc }', '{ incme: desc }', 'lead.order_by.incme'],
];
let BAD = GOOD;
for (const [from, to] of TYPOS) BAD = BAD.replace(from, to);

/** 1-based line and column of the first `needle` in `text`. */
function position(text: string, needle: string): string {
  const before = text.slice(0, text.indexOf(needle));
  const lines = before.split('\n');
  return `${lines.length}:${lines[lines.length - 1].length + 1}`;
}

const column = (name: string, table: string) => `column "${name}" does not exist in ${table} on connection wh`;
// Where each typo is reported: the key that names the column (a map key), or the value.
const EXPECTED = (file: string) => [
  `${file}:${position(BAD, 'citty')}: audience.where.citty: ${column('citty', 'dim_user')} (did you mean "city"?)`,
  `${file}:${position(BAD, 'value_teir')}: audience.segments.value_teir: ${column('value_teir', 'dim_user')} (did you mean "value_tier"?)`,
  `${file}:${position(BAD, '手机号')}: lead.fields.手机号: ${column('phnoe', 'dim_user')} (did you mean "phone"?)`,
  `${file}:${position(BAD, 'incme')}: lead.order_by.incme: ${column('incme', 'dim_user')} (did you mean "income"?)`,
  `${file}:${position(BAD, 'tagg')}: audience.tags.column: ${column('tagg', 'user_tag')} (did you mean "tag"?)`,
  `${file}:${position(BAD, 'duraton_s')}: trigger.where.duraton_s: ${column('duraton_s', 'events')} (did you mean "duration_s"?)`,
  `${file}:${position(BAD, '浏览时间')}: lead.fields.浏览时间: ${column('evnt_time', 'events')} (did you mean "event_time"?)`,
  `${file}:${position(BAD, 'categry')}: trigger.item.where.categry: ${column('categry', 'dim_item')} (did you mean "category"?)`,
  `${file}:${position(BAD, 'categoryy')}: exclude.converted.where.categoryy: ${column('categoryy', 'orders')} (did you mean "category"?)`,
];

describe.each(DIALECTS)('validate --connect on %s', (dialect) => {
  let db: TestDatabase;
  const dir = mkdtempSync(join(tmpdir(), `crm-leads-validate-${dialect}-`));
  const cli = (args: string[]) => runCli([...args, '--connections', 'connections.yaml'], { cwd: dir });

  beforeAll(async () => {
    db = await createTestDatabase(dialect, 'validate_connect');
    await loadFixture(db, [
      {
        name: 'dim_user',
        columns: {
          user_id: 'integer',
          name: 'string',
          phone: 'string',
          city: 'string',
          age: 'integer',
          income: 'integer',
          value_tier: 'string',
        },
        rows: [
          { user_id: 1, name: '张伟', phone: '13800000001', city: '北京', age: 30, income: 1, value_tier: 'high' },
        ],
      },
      { name: 'user_tag', columns: { user_id: 'integer', tag: 'string' }, rows: [] },
      {
        name: 'events',
        columns: {
          user_id: 'integer',
          event_name: 'string',
          event_time: 'datetime',
          item_id: 'integer',
          duration_s: 'integer',
        },
        rows: [],
      },
      { name: 'dim_item', columns: { item_id: 'integer', category: 'string' }, rows: [] },
      { name: 'orders', columns: { user_id: 'integer', paid_at: 'datetime', category: 'string' }, rows: [] },
    ]);
    writeFileSync(join(dir, 'connections.yaml'), `wh: ${db.yaml}\n`);
    writeFileSync(join(dir, 'good.yaml'), GOOD);
    writeFileSync(join(dir, 'bad.yaml'), BAD);
    writeFileSync(join(dir, 'no-table.yaml'), GOOD.replace('  table: dim_user', '  table: dim_users'));
  }, 120_000);
  afterAll(async () => db?.drop());

  it('a job whose tables and columns all exist passes', async () => {
    const r = await cli(['validate', 'good.yaml', '--connect']);
    expect(r.stderr).toContain('tables and columns checked');
    expect(r.code).toBe(0);
  });

  it('reports each missing column at its key, exit 2', async () => {
    const r = await cli(['validate', 'bad.yaml', '--connect']);
    expect(r.code).toBe(2);
    const file = join(dir, 'bad.yaml');
    expect(r.stderr.trim().split('\n')).toEqual(EXPECTED(file).map((line) => `error: ${line}`));
  });

  it('reports a missing table at audience.table', async () => {
    const r = await cli(['validate', 'no-table.yaml', '--connect']);
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).toBe(
      `error: ${join(dir, 'no-table.yaml')}:${position(GOOD, 'dim_user')}: audience.table: table "dim_users" does not exist on connection wh`,
    );
  });

  it('without --connect the same job is valid (nothing is looked up)', async () => {
    expect((await cli(['validate', 'bad.yaml'])).code).toBe(0);
  });

  it('a run maps the unknown-column error back to the job keys, never to an alias', async () => {
    const r = await cli(['run', 'bad.yaml', '--csv', join(dir, 'out.csv')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`${join(dir, 'bad.yaml')}:${position(BAD, 'citty')}: audience.where.citty:`);
    expect(r.stderr).not.toMatch(/\ba\.citty|\blt\.|\be\.duraton/);
    expect(r.summary).toMatchObject({ job: 'check-me', status: 'failed', exit: 2 });
  });
});
