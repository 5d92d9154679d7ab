// The caps race (issue 12): four different jobs with `{ within: 7d, scope: all, max: 1 }`,
// started at the same moment as real `crm-leads run` processes on overlapping audiences (each
// person is in three of the four), two on SMS and two on WeCom, with one ledger on MariaDB or
// PostgreSQL. Each person may be delivered at most once in total, whatever the interleaving.
import { existsSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from './cli.ts';
import { createTestDatabase, loadFixture, serverUrl, type TestDatabase } from './databases.ts';

export const RACE_PEOPLE = 600;
const JOBS = [
  { name: 'race-sms-a', channel: 'sms', skip: 0 },
  { name: 'race-sms-b', channel: 'sms', skip: 1 },
  { name: 'race-wecom-a', channel: 'wecom', skip: 2 },
  { name: 'race-wecom-b', channel: 'wecom', skip: 3 },
];

export interface RaceWorkspace {
  /** Runs the four jobs at once against a fresh ledger; per person, how many jobs delivered them. */
  trial(n: number): Promise<{ deliveries: Map<string, number>; codes: (number | null)[]; stderr: string[] }>;
  close(): Promise<void>;
}

export async function raceWorkspace(stateDialect: 'mysql' | 'postgres'): Promise<RaceWorkspace> {
  const warehouse = await createTestDatabase('sqlite', `race_wh_${stateDialect}`);
  await loadFixture(warehouse, [
    {
      name: 'members',
      columns: { user_id: 'bigInteger', phone: 'string', wecom_id: 'string', bucket: 'integer' },
      rows: Array.from({ length: RACE_PEOPLE }, (_, i) => ({
        user_id: i + 1,
        phone: `139${String(i + 1).padStart(8, '0')}`,
        wecom_id: `wm_${i + 1}`,
        bucket: (i + 1) % 4,
      })),
    },
  ]);
  const dir = mkdtempSync(join(tmpdir(), `crm-leads-race-${stateDialect}-`));
  writeFileSync(join(dir, 'connections.yaml'), `wh: ${warehouse.yaml}\n`);
  for (const job of JOBS)
    writeFileSync(
      join(dir, `${job.name}.yaml`),
      `name: ${job.name}
source: wh
audience: { table: members, where: { bucket: { ne: ${job.skip} } } }
contacts: { columns: { sms: phone, wecom: wecom_id } }
lead: { fields: [user_id], channel: ${job.channel} }
exclude:
  delivered: [ { within: 7d, scope: all, max: 1 } ]
destinations:
  - { type: csv, path: "out/{{run_id}}-${job.name}.csv", bom: false }
`,
    );
  const states: TestDatabase[] = [];
  return {
    async trial(n) {
      const name = `race_state_${n}`;
      const db = await createTestDatabase(stateDialect, name);
      states.push(db);
      const url = serverUrl(stateDialect, name);
      // The ledger is created first, so that the jobs race for people, not for the migration.
      await runCli(['runs', '--state', url], { cwd: dir });
      // No --at: each run's at is its own now, as when a scheduler starts them together.
      const results = await Promise.all(
        JOBS.map((job) => runCli(['run', `${job.name}.yaml`, '--state', url], { cwd: dir, timeoutMs: 240_000 })),
      );
      const deliveries = new Map<string, number>();
      const out = join(dir, 'out');
      const runIds = new Set(results.map((r) => String(r.summary?.run_id)));
      for (const file of existsSync(out) ? readdirSync(out) : []) {
        if (![...runIds].some((id) => file.startsWith(id))) continue;
        const [, ...rows] = readFileSync(join(out, file), 'utf8').trim().split('\n');
        for (const row of rows) {
          const key = row.split(',')[0];
          deliveries.set(key, (deliveries.get(key) ?? 0) + 1);
        }
      }
      await db.drop();
      states.splice(states.indexOf(db), 1);
      return { deliveries, codes: results.map((r) => r.code), stderr: results.map((r) => r.stderr) };
    },
    async close() {
      for (const db of states) await db.drop();
      await warehouse.drop();
    },
  };
}
