// Counted behaviour end to end (issue 13): the edge fixture (test/support/behaviour-fixture.ts,
// reasoning per person) through the real CLI on SQLite, MariaDB, PostgreSQL, and Hive through
// the HiveServer2 test server (MariaDB behind it). Every engine gives the hand-computed people.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { csvThenSummaryPerJob, runCli, type CliResult } from '../support/cli.ts';
import { BEHAVIOUR_AT, BEHAVIOUR_JOBS, BEHAVIOUR_LEADS, BEHAVIOUR_TABLES } from '../support/behaviour-fixture.ts';
import { csvRowsPerJob, ENGINES, openFixtureEngine, type FixtureEngine } from '../support/fixture-engines.ts';
import { hiveSyntaxErrors } from '../support/hiveql.ts';

describe.each(ENGINES)('counted behaviour on %s', (engine) => {
  let wh: FixtureEngine;
  const dir = mkdtempSync(join(tmpdir(), 'crm-leads-behaviour-'));
  let result: CliResult;
  let leads: Map<string, string[]>;

  beforeAll(async () => {
    wh = await openFixtureEngine(engine, `behaviour_${engine}`, BEHAVIOUR_TABLES);
    writeFileSync(join(dir, 'connections.yaml'), `wh: ${wh.yaml}\n`);
    for (const [file, text] of Object.entries(BEHAVIOUR_JOBS)) writeFileSync(join(dir, file), text);
    result = await runCli(['run', ...Object.keys(BEHAVIOUR_JOBS), '--at', BEHAVIOUR_AT, '--csv', '-'], {
      cwd: dir,
      timeoutMs: 120_000,
    });
    leads = csvRowsPerJob(csvThenSummaryPerJob(result), 'user_id');
  }, 180_000);
  afterAll(async () => wh?.close());

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
      const statements = wh.hive!.statements.filter((s) => s.includes('n_rows') || s.includes('agg_'));
      expect(statements.length).toBe(Object.keys(BEHAVIOUR_JOBS).length);
      for (const s of statements) {
        expect(hiveSyntaxErrors(s)).toEqual([]);
        expect(s).toMatch(/left join \(select /);
        expect(s).not.toMatch(/having/i);
      }
    });
});
