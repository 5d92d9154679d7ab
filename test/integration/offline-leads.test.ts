// The same offline jobs give the same leads on SQLite, MySQL and PostgreSQL, through the real
// CLI, over the hand-worked fixture in test/support/offline-fixture.ts (reasoning there).
// Conversions "elsewhere" live on a second engine: SQLite's on PostgreSQL, MySQL's on SQLite,
// PostgreSQL's on MySQL, so the key set is filled from every driver once.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, type CliResult } from '../support/cli.ts';
import {
  createTestDatabase,
  DIALECTS,
  loadFixture,
  type TestDatabase,
  type TestDialect,
} from '../support/databases.ts';
import { crmTables, MAIN_FUNNEL, OFFLINE_AT, OFFLINE_CASES, warehouseTables } from '../support/offline-fixture.ts';

const CONVERSIONS_ON: Record<TestDialect, TestDialect> = { sqlite: 'postgres', mysql: 'sqlite', postgres: 'mysql' };
const JOB_NAMES = Object.keys(OFFLINE_CASES);

function summaries(result: CliResult): Map<string, Record<string, any>> {
  const byJob = new Map<string, Record<string, any>>();
  for (const line of result.stdout.split('\n')) {
    if (!line.startsWith('{')) continue;
    const summary = JSON.parse(line);
    byJob.set(summary.job, summary);
  }
  return byJob;
}

const sortedLines = (text: string) => {
  const [head, ...rows] = text.split('\r\n');
  return [head, ...rows.filter((r) => r !== '').sort()];
};

describe.each(DIALECTS)('offline leads with the warehouse on %s', (dialect) => {
  let warehouse: TestDatabase;
  let crm: TestDatabase;
  let run: CliResult;
  const dir = mkdtempSync(join(tmpdir(), `crm-leads-offline-${dialect}-`));

  beforeAll(async () => {
    warehouse = await createTestDatabase(dialect, 'offline_leads');
    crm = await createTestDatabase(CONVERSIONS_ON[dialect], 'offline_crm');
    await loadFixture(warehouse, warehouseTables());
    await loadFixture(crm, crmTables());
    writeFileSync(join(dir, 'connections.yaml'), `wh: ${warehouse.yaml}\ncrm: ${crm.yaml}\n`);
    mkdirSync(join(dir, 'jobs'));
    for (const [name, c] of Object.entries(OFFLINE_CASES)) writeFileSync(join(dir, 'jobs', `${name}.yaml`), c.yaml);
    // One process runs every job, as a scheduler would; each job prints its own summary line.
    run = await runCli(
      ['run', ...JOB_NAMES.map((n) => `jobs/${n}.yaml`), '--at', OFFLINE_AT, '--connections', 'connections.yaml'],
      { cwd: dir, timeoutMs: 90_000 },
    );
  });
  afterAll(async () => {
    await warehouse?.drop();
    await crm?.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('runs every job, exit 0, one JSON summary per job', () => {
    expect(run.stderr).not.toMatch(/error/i);
    expect(run.code).toBe(0);
    expect([...summaries(run).keys()]).toEqual(JOB_NAMES);
    expect(run.summary?.job).toBe(JOB_NAMES.at(-1));
  });

  it.each(JOB_NAMES)('%s: the leads worked out by hand', (name) => {
    const c = OFFLINE_CASES[name];
    const summary = summaries(run).get(name)!;
    expect(summary).toMatchObject({
      job: name,
      status: 'ok',
      at: '2026-11-23T09:00:00+08:00',
      leads: c.leads,
      counts: c.counts,
    });
    expect(summary.outputs).toMatchObject([
      { type: 'csv', target: join(dir, 'out', `${name}.csv`), delivered: c.leads, failed: 0 },
    ]);
    const written = readFileSync(join(dir, 'out', `${name}.csv`), 'utf8');
    if (c.ordered) expect(written).toBe(c.csv);
    else expect(sortedLines(written)).toEqual(sortedLines(c.csv));
  });

  it('dry run: the funnel counted in the warehouse, then require in the stream; nothing written', async () => {
    const r = await runCli(
      [
        'run',
        'jobs/offline-main.yaml',
        '--at',
        OFFLINE_AT,
        '--connections',
        'connections.yaml',
        '--dry-run',
        '--csv',
        'out/dry.csv',
      ],
      { cwd: dir },
    );
    expect(r.code).toBe(0);
    expect(r.summary).toMatchObject({
      job: 'offline-main',
      status: 'dry_run',
      leads: 7,
      funnel: MAIN_FUNNEL,
      outputs: [],
    });
    expect(() => readFileSync(join(dir, 'out', 'dry.csv'))).toThrow();
  });

  it('compile prints the statement run executes, with the values written in', async () => {
    const r = await runCli(
      ['compile', 'jobs/rank-desc.yaml', '--at', OFFLINE_AT, '--connections', 'connections.yaml'],
      { cwd: dir },
    );
    expect(r.code).toBe(0);
    const q = dialect === 'postgres' ? '"' : '`';
    // Text columns sort by code point (orderTerms): the engine checks the column's type.
    const nulls =
      dialect === 'mysql'
        ? "`a`.`income` IS NULL, CASE WHEN COLLATION(`a`.`income`) <> 'binary' THEN CAST(`a`.`income` AS BINARY) END desc, `a`.`income` desc"
        : dialect === 'postgres'
          ? `CASE WHEN pg_typeof("a"."income") IN ('text'::regtype, 'character varying'::regtype, 'character'::regtype) THEN CAST("a"."income" AS text) COLLATE "C" END desc NULLS LAST, "a"."income" desc NULLS LAST`
          : `${q}a${q}.${q}income${q} desc NULLS LAST`;
    // MariaDB compares text byte for byte: the value is cast to BINARY (exact-text.ts).
    const city = dialect === 'mysql' ? "CAST('杭州' AS BINARY)" : "'杭州'";
    expect(r.stdout).toContain(
      `where ${q}a${q}.${q}city${q} = ${city} order by ${nulls}, ${q}a${q}.${q}user_id${q} asc limit 3;`,
    );
  });
});
