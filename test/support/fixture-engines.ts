// A fixture loaded on one engine, and the connections.yaml entry that reaches it: SQLite,
// MariaDB, PostgreSQL directly, or Hive through the HiveServer2 test server (MariaDB behind it).
import { createTestDatabase, DIALECTS, loadFixture, testDatabaseName, type FixtureTable } from './databases.ts';
import { startHiveTestServer, type HiveTestServer } from './hive-server/index.ts';

export const ENGINES = [...DIALECTS, 'hive'] as const;
export type Engine = (typeof ENGINES)[number];

export interface FixtureEngine {
  /** The connections.yaml value (flow YAML) for this engine. */
  yaml: string;
  /** Hive only: the test server, with the statements it received. */
  hive?: HiveTestServer;
  close(): Promise<void>;
}

/** Creates the database `name` (namespaced by testDatabaseName) on `engine` and loads `tables`. */
export async function openFixtureEngine(engine: Engine, name: string, tables: FixtureTable[]): Promise<FixtureEngine> {
  const db = await createTestDatabase(engine === 'hive' ? 'mysql' : engine, name);
  await loadFixture(db, tables);
  if (engine !== 'hive') return { yaml: db.yaml, close: () => db.drop() };
  const database = testDatabaseName(name);
  const hive = await startHiveTestServer({ database });
  return {
    yaml: `{ type: hive, host: 127.0.0.1, port: ${hive.port}, database: ${database}, connect_timeout: 10s }`,
    hive,
    close: async () => {
      await hive.close();
      await db.drop();
    },
  };
}

/** Each job's CSV followed by its JSON summary (`csvThenSummaryPerJob` of a `run a b --csv -`): data rows per job, sorted. */
export function csvRowsPerJob(stdout: string, header: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  let rows: string[] = [];
  for (const line of stdout.split(/\r?\n/)) {
    if (line.startsWith('{')) {
      out.set(String(JSON.parse(line).job), rows.filter((l) => l !== header).sort());
      rows = [];
    } else if (line !== '') rows.push(line);
  }
  return out;
}
