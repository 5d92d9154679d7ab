// Behaviour triggers end to end: the boundary fixture (test/support/trigger-fixture.ts, with the
// reasoning per person) through the real CLI on SQLite, MariaDB and PostgreSQL. Every engine
// must give exactly the hand-computed leads, with trigger.X from the latest qualifying event.
// (The documented jobs in jobs/ run on the demo warehouse in demo-jobs.test.ts.)
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { csvThenSummaryPerJob, runCli } from '../support/cli.ts';
import { createTestDatabase, DIALECTS, loadFixture, type TestDatabase } from '../support/databases.ts';
import { AT, EXPECTED_LEADS, TRIGGER_JOBS, TRIGGER_TABLES } from '../support/trigger-fixture.ts';

const HEADER = 'user_id,trigger.event_time,trigger.item_id';

/** `run a.yaml b.yaml --csv -` prints each job's CSV then its JSON summary line: split them. */
function leadsPerJob(stdout: string): Map<string, { summary: Record<string, unknown>; rows: string[] }> {
  const out = new Map<string, { summary: Record<string, unknown>; rows: string[] }>();
  let rows: string[] = [];
  for (const line of stdout.split(/\r?\n/)) {
    if (line.startsWith('{')) {
      const summary = JSON.parse(line) as Record<string, unknown>;
      out.set(String(summary.job), { summary, rows: rows.filter((r) => r !== HEADER).sort() });
      rows = [];
    } else if (line !== '') rows.push(line);
  }
  return out;
}

describe.each(DIALECTS)('trigger leads on %s', (dialect) => {
  let db: TestDatabase;
  const dir = mkdtempSync(join(tmpdir(), 'crm-leads-trigger-'));
  let result: Awaited<ReturnType<typeof runCli>>;
  let leads: ReturnType<typeof leadsPerJob>;

  beforeAll(async () => {
    db = await createTestDatabase(dialect, 'trigger_leads');
    await loadFixture(db, TRIGGER_TABLES);
    writeFileSync(join(dir, 'connections.yaml'), `wh: ${db.yaml}\n`);
    for (const [file, text] of Object.entries(TRIGGER_JOBS)) writeFileSync(join(dir, file), text);
    // One CLI process for all three jobs keeps the suite fast.
    result = await runCli(['run', ...Object.keys(TRIGGER_JOBS), '--at', AT, '--csv', '-'], { cwd: dir });
    leads = leadsPerJob(csvThenSummaryPerJob(result));
  }, 120_000);
  afterAll(async () => db?.drop());

  it('runs every job with exit 0', () => {
    expect(result.stderr).not.toMatch(/error/i);
    expect(result.code).toBe(0);
    expect([...leads.keys()].sort()).toEqual(Object.keys(EXPECTED_LEADS).sort());
  });

  it.each(Object.keys(EXPECTED_LEADS))('%s gives the hand-computed leads', (job) => {
    const got = leads.get(job);
    expect(got?.rows).toEqual(EXPECTED_LEADS[job]);
    expect(got?.summary).toMatchObject({ status: 'ok', leads: EXPECTED_LEADS[job].length });
  });
});
