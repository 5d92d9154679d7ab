// Runs a job's query in-process (load -> plan -> render -> warehouse) and returns the rows:
// the same path as `crm-leads run` up to the stream, without the ledger and destinations,
// so that many small jobs can be checked on every engine quickly.
import { afterAll, beforeAll } from 'vitest';
import { loadJob, type Job } from '../../src/config/load-job.ts';
import { dialectOf } from '../../src/config/connection-schema.ts';
import { planJob } from '../../src/plan/plan.ts';
import { resolveRunTime } from '../../src/plan/time.ts';
import { renderForDialect } from '../../src/sql/render.ts';
import { openWarehouse } from '../../src/warehouses/open-warehouse.ts';
import {
  createTestDatabase,
  type FixtureTable,
  loadFixture,
  type TestDatabase,
  type TestDatabaseOptions,
  type TestDialect,
} from './databases.ts';

/** A job file's text with `source: wh` and the given body (audience, trigger, lead, ...). */
export function jobText(body: string, timezone = 'Asia/Shanghai'): string {
  return `name: t\nsource: wh\ntimezone: ${timezone}\n${body}\n`;
}

export function loadTestJob(db: TestDatabase, text: string, env: NodeJS.ProcessEnv = {}): Job {
  return loadJob('job.yaml', { file: 'connections.yaml', byName: new Map([['wh', db.connection]]) }, env, text);
}

/** Every row of the job's warehouse query: [person key, ...lead fields], values as the driver gives them. */
export async function jobRows(db: TestDatabase, text: string, at = '2026-11-23T09:00:00'): Promise<unknown[][]> {
  const job = loadTestJob(db, text);
  const runTime = resolveRunTime(at, job.timezone);
  const plan = planJob(job, runTime, dialectOf(db.connection));
  const query = await renderForDialect(plan);
  // As `run` opens it: the session reads zone-carrying columns in the job's timezone.
  const warehouse = await openWarehouse('wh', db.connection, { timezone: job.timezone, atMs: runTime.epochMs });
  try {
    const rows: unknown[][] = [];
    for await (const batch of warehouse.stream(query)) rows.push(...batch);
    return rows;
  } finally {
    await warehouse.close();
  }
}

/** The person keys a job picks, as numbers, sorted (unless the job orders them). */
export async function jobKeys(db: TestDatabase, text: string, at?: string, sorted = true): Promise<number[]> {
  const keys = (await jobRows(db, text, at)).map((r) => Number(r[0]));
  return sorted ? keys.sort((a, b) => a - b) : keys;
}

/**
 * For the describe block it is called in: a database `name` on `dialect` loaded with `tables`
 * before its tests and dropped after them. Returns the database (read it inside the tests).
 */
export function fixtureDatabase(
  dialect: TestDialect,
  name: string,
  tables: FixtureTable[],
  options?: TestDatabaseOptions,
): () => TestDatabase {
  let db: TestDatabase | undefined;
  beforeAll(async () => {
    db = await createTestDatabase(dialect, name, options);
    await loadFixture(db, tables);
  }, 60_000);
  afterAll(async () => db?.drop());
  return () => db!;
}
