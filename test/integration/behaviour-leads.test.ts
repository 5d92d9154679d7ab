// Counted behaviour end to end (issue 13): the edge fixture (test/support/behaviour-fixture.ts,
// reasoning per person) through the real CLI on SQLite, MariaDB, PostgreSQL, and Hive through
// the HiveServer2 test server (MariaDB behind it). Every engine gives the hand-computed people.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, type CliResult } from '../support/cli.ts';
import {
  createTestDatabase,
  DIALECTS,
  loadFixture,
  testDatabaseName,
  type TestDatabase,
} from '../support/databases.ts';
import { BEHAVIOUR_AT, BEHAVIOUR_JOBS, BEHAVIOUR_LEADS, BEHAVIOUR_TABLES } from '../support/behaviour-fixture.ts';
import { startHiveTestServer, type HiveTestServer } from '../support/hive-server/index.ts';
import { hiveSyntaxErrors } from '../support/hiveql.ts';

/** `run a.yaml b.yaml --csv -` prints each job's CSV then its JSON summary: the keys per job. */
function leadsPerJob(r: CliResult): Map<string, string[]> {
  const out = new Map<string, string[]>();
  let rows: string[] = [];
  for (const line of r.stdout.split(/\r?\n/)) {
    if (line.startsWith('{')) {
      out.set(String(JSON.parse(line).job), rows.filter((l) => l !== 'user_id').sort());
      rows = [];
    } else if (line !== '') rows.push(line);
  }
  return out;
}

const ENGINES = [...DIALECTS, 'hive'] as const;

describe.each(ENGINES)('counted behaviour on %s', (engine) => {
  let db: TestDatabase;
  let hive: HiveTestServer | undefined;
  const dir = mkdtempSync(join(tmpdir(), 'crm-leads-behaviour-'));
  let result: CliResult;
  let leads: Map<string, string[]>;

  beforeAll(async () => {
    const name = `behaviour_${engine}`;
    db = await createTestDatabase(engine === 'hive' ? 'mysql' : engine, name);
    await loadFixture(db, BEHAVIOUR_TABLES);
    let yaml = db.yaml;
    if (engine === 'hive') {
      hive = await startHiveTestServer({ database: testDatabaseName(name) });
      yaml = `{ type: hive, host: 127.0.0.1, port: ${hive.port}, database: ${testDatabaseName(name)}, connect_timeout: 10s }`;
    }
    writeFileSync(join(dir, 'connections.yaml'), `wh: ${yaml}\n`);
    for (const [file, text] of Object.entries(BEHAVIOUR_JOBS)) writeFileSync(join(dir, file), text);
    result = await runCli(['run', ...Object.keys(BEHAVIOUR_JOBS), '--at', BEHAVIOUR_AT, '--csv', '-'], {
      cwd: dir,
      timeoutMs: 120_000,
    });
    leads = leadsPerJob(result);
  }, 180_000);
  afterAll(async () => {
    await hive?.close();
    await db?.drop();
  });

  it('runs every job with exit 0', () => {
    expect(result.stderr).not.toMatch(/error/i);
    expect(result.code).toBe(0);
    expect([...leads.keys()].sort()).toEqual(Object.keys(BEHAVIOUR_LEADS).sort());
  });

  it.each(Object.keys(BEHAVIOUR_LEADS))('%s gives the hand-computed people', (job) => {
    expect(leads.get(job)).toEqual(BEHAVIOUR_LEADS[job]);
  });

  if (engine === 'hive')
    it('sent HiveQL that Hive parses: grouped LEFT JOINs, no correlated aggregate', () => {
      const statements = hive!.statements.filter((s) => s.includes('n_rows') || s.includes('agg_'));
      expect(statements.length).toBe(Object.keys(BEHAVIOUR_JOBS).length);
      for (const s of statements) {
        expect(hiveSyntaxErrors(s)).toEqual([]);
        expect(s).toMatch(/left join \(select /);
        expect(s).not.toMatch(/having/i);
      }
    });
});
