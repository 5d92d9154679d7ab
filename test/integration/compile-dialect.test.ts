// `compile --dialect` needs no connections file: the SQL of a job for any dialect, including
// Hive and Oracle, for people with no such server at hand. And Chinese output names reach
// the CSV header while the SQL names only the columns.
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { CHINESE_FIELDS } from '../support/chinese-fields.ts';
import { runCli } from '../support/cli.ts';

const JOB = `name: chinese-compile
source: warehouse
timezone: Asia/Shanghai
audience:
  table: dim_user
  where: { city: [北京, 上海] }
${CHINESE_FIELDS}
  limit: 10
`;

// What distinguishes each dialect in this statement: its quoting, its time bounds, its limit.
const EXPECTED: Record<string, string[]> = {
  sqlite: ['select `a`.`user_id`, `a`.`name`, `a`.`phone`', "`e`.`event_time` >= '2026-11-19 09:00:00'", 'limit 10;'],
  mysql: ['select `a`.`user_id`, `a`.`name`, `a`.`phone`', "`e`.`event_time` >= '2026-11-19 09:00:00'", 'limit 10;'],
  postgres: ['select "a"."user_id", "a"."name", "a"."phone"', 'ORDER BY "e"."event_time" DESC NULLS LAST', 'limit 10;'],
  hive: ["`e`.`event_time` >= TIMESTAMP '2026-11-19 09:00:00'", "`a`.`city` in ('北京', '上海')", 'limit 10;'],
  oracle: [
    'select * from (select "A"."USER_ID" "C0", "A"."NAME" "C1"',
    `"E"."EVENT_TIME" >= TO_DATE('2026-11-19 09:00:00', 'YYYY-MM-DD HH24:MI:SS')`,
    'where rownum <= 10;',
  ],
};

describe('compile --dialect without a connections file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'crm-leads-compile-'));
  const env = { CRM_LEADS_CONNECTIONS: '' };
  beforeAll(() => writeFileSync(join(dir, 'job.yaml'), JOB));

  it.each(Object.keys(EXPECTED))('%s', async (dialect) => {
    const r = await runCli(['compile', 'job.yaml', '--dialect', dialect, '--at', '2026-11-20T09:00:00'], {
      cwd: dir,
      env,
    });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const [header, sql] = r.stdout.split('\n');
    expect(header).toBe(`-- chinese-compile (${dialect}) at 2026-11-20T09:00:00+08:00`);
    for (const part of EXPECTED[dialect]) expect(sql).toContain(part);
    // Output names are labels for the destinations, never SQL.
    expect(r.stdout).not.toMatch(/姓名|手机号|浏览时间/);
  });

  it('an unknown dialect is a usage error (exit 2)', async () => {
    const r = await runCli(['compile', 'job.yaml', '--dialect', 'db2'], { cwd: dir, env });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('"db2" is not a dialect: sqlite, mysql, postgres, hive or oracle');
    expect(r.stdout).toBe('');
  });

  it('without --dialect the connections file is still needed', async () => {
    const r = await runCli(['compile', 'job.yaml'], { cwd: dir, env });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('no connections file');
  });
});

describe('Chinese output names in a CSV', () => {
  it('are the header; the values are the columns', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'crm-leads-zh-'));
    copyFileSync(new URL('../../examples/demo.db', import.meta.url), join(dir, 'demo.db'));
    writeFileSync(join(dir, 'connections.yaml'), 'demo: { type: sqlite, path: demo.db }\n');
    writeFileSync(
      join(dir, 'job.yaml'),
      `name: zh\nsource: demo\naudience: { table: dim_user, where: { user_id: [100001, 100002] } }\nlead:\n  fields: { 编号: user_id, 姓名: name, 城市: city }\n  require: [姓名]\ndestinations: [ { type: csv, path: out.csv } ]\n`,
    );
    const r = await runCli(['run', 'job.yaml'], { cwd: dir });
    expect(r.stderr).not.toMatch(/error/);
    expect(r.code).toBe(0);
    const lines = readFileSync(join(dir, 'out.csv'), 'utf8').split('\r\n');
    expect(lines[0]).toBe('\uFEFF编号,姓名,城市');
    expect(lines.slice(1, 3).map((l) => l.split(',')[0])).toEqual(['100001', '100002']);
    expect(lines[1]).toMatch(/^100001,\p{Script=Han}{2,3},(北京|上海|深圳|广州|杭州|成都|武汉|南京|西安|重庆)$/u);
  });
});
