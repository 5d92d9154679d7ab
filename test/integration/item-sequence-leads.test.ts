// Counted behaviour end to end (issue 13): the edge fixture (test/support/item-sequence-fixture.ts,
// reasoning per person) through the real CLI on SQLite, MariaDB, PostgreSQL, and Hive through
// the HiveServer2 test server (MariaDB behind it). Every engine gives the hand-computed people.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { csvThenSummaryPerJob, runCli, type CliResult } from '../support/cli.ts';
import { ITEM_AT, ITEM_JOBS, ITEM_LEADS, ITEM_TABLES } from '../support/item-sequence-fixture.ts';
import { csvRowsPerJob, ENGINES, openFixtureEngine, type FixtureEngine } from '../support/fixture-engines.ts';
import { hiveSyntaxErrors } from '../support/hiveql.ts';

// Hive: a followed_within over two steps compares the last step with A from two subqueries
// down, which Hive does not allow (sequence-step.ts); that job is refused there, tested below.
const jobsOn = (engine: string) => Object.keys(ITEM_JOBS).filter((f) => engine !== 'hive' || f !== 'cart-chain.yaml');

const HEADER = 'user_id,trigger.event_time,trigger.item.category,trigger.item.price';

describe.each(ENGINES)('item-aware sequences on %s', (engine) => {
  let wh: FixtureEngine;
  const dir = mkdtempSync(join(tmpdir(), 'crm-leads-item-seq-'));
  let result: CliResult;
  let leads: Map<string, string[]>;

  beforeAll(async () => {
    wh = await openFixtureEngine(engine, `item_seq_${engine}`, ITEM_TABLES);
    writeFileSync(join(dir, 'connections.yaml'), `wh: ${wh.yaml}\n`);
    for (const [file, text] of Object.entries(ITEM_JOBS)) writeFileSync(join(dir, file), text);
    result = await runCli(['run', ...jobsOn(engine), '--at', ITEM_AT, '--csv', '-'], {
      cwd: dir,
      timeoutMs: 120_000,
    });
    leads = csvRowsPerJob(csvThenSummaryPerJob(result), HEADER);
  }, 180_000);
  afterAll(async () => wh?.close());

  it('runs every job with exit 0', () => {
    expect(result.stderr).not.toMatch(/error/i);
    expect(result.code).toBe(0);
    expect([...leads.keys()].sort()).toEqual(
      jobsOn(engine)
        .map((f) => f.replace('.yaml', ''))
        .sort(),
    );
  });

  it.each(jobsOn(engine).map((f) => f.replace('.yaml', '')))('%s gives the hand-computed leads', (job) => {
    expect(leads.get(job)).toEqual(ITEM_LEADS[job]);
  });

  if (engine === 'hive')
    it('sent HiveQL that Hive parses, with the item join and the item fields', () => {
      const statements = wh.hive!.statements.filter((s) => s.includes('ti_price'));
      expect(statements.length).toBe(jobsOn(engine).length);
      for (const s of statements) expect(hiveSyntaxErrors(s)).toEqual([]);
    });

  if (engine === 'hive')
    it('refuses followed_within after two steps on Hive, saying why (its subqueries see only their parent)', async () => {
      const r = await runCli(['run', 'cart-chain.yaml', '--at', ITEM_AT, '--csv', '-'], { cwd: dir });
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/followed_within with two or more followed_by steps is not supported on Hive/);
      expect(r.stderr).not.toMatch(/\n\s+at /);
    });
});
