// Real servers for the tests: MariaDB and PostgreSQL on loopback (addresses from the
// environment, these defaults), SQLite in a temporary file. Each test file creates its own
// databases, so files can run in parallel. With CI=true a missing server fails, never skips.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import knexFactory, { type Knex } from 'knex';
import type { ConnectionSpec } from '../../src/config/connection-schema.ts';

export const MYSQL = {
  host: process.env.MYSQL_HOST ?? '127.0.0.1',
  port: Number(process.env.MYSQL_PORT ?? 3306),
  user: process.env.MYSQL_USER ?? 'root',
  password: process.env.MYSQL_PASSWORD ?? '',
};
export const POSTGRES = {
  host: process.env.PGHOST ?? '127.0.0.1',
  port: Number(process.env.PGPORT ?? 5432),
  user: process.env.PGUSER ?? 'postgres',
  password: process.env.PGPASSWORD ?? '',
};

export type TestDialect = 'sqlite' | 'mysql' | 'postgres';
export const DIALECTS: TestDialect[] = ['sqlite', 'mysql', 'postgres'];

export interface TestDatabase {
  dialect: TestDialect;
  /** knex with a real connection, for creating and loading tables in the test. */
  knex: Knex;
  /** The connection as a connections.yaml entry would give it. */
  connection: ConnectionSpec;
  /** The same as YAML flow text, for writing connections files. */
  yaml: string;
  drop(): Promise<void>;
}

/**
 * The server-side name of a test database: `crm_leads_<CRM_LEADS_TEST_NS><name>`, lower case.
 * CRM_LEADS_TEST_NS (empty by default) lets two checkouts run their suites at once on the same
 * servers without dropping each other's databases.
 */
export function testDatabaseName(name: string): string {
  return `crm_leads_${process.env.CRM_LEADS_TEST_NS ?? ''}${name}`.toLowerCase();
}

/** A `--state` URL for the test database `name` (testDatabaseName) on the dialect's server. */
export function serverUrl(dialect: 'mysql' | 'postgres', name: string): string {
  const s = dialect === 'mysql' ? MYSQL : POSTGRES;
  const password = s.password ? `:${encodeURIComponent(s.password)}` : '';
  return `${dialect}://${s.user}${password}@${s.host}:${s.port}/${testDatabaseName(name)}`;
}

export interface TestDatabaseOptions {
  /**
   * MariaDB's database collation. utf8mb4_bin by default; utf8mb4_general_ci is the server's
   * own default (case- and trailing-space-insensitive), the one issue 9's examples run on.
   */
  mysqlCollation?: string;
}

/** A fresh, empty database named by `testDatabaseName(name)` on the dialect's server. */
export async function createTestDatabase(
  dialect: TestDialect,
  name: string,
  options: TestDatabaseOptions = {},
): Promise<TestDatabase> {
  const db = testDatabaseName(name);
  if (dialect === 'sqlite') {
    const path = join(mkdtempSync(join(tmpdir(), 'crm-leads-')), `${db}.db`);
    const knex = knexFactory({ client: 'better-sqlite3', connection: { filename: path }, useNullAsDefault: true });
    return {
      dialect,
      knex,
      connection: { type: 'sqlite', path },
      yaml: `{ type: sqlite, path: "${path}" }`,
      drop: () => knex.destroy(),
    };
  }
  if (dialect === 'mysql') {
    const admin = knexFactory({ client: 'mysql2', connection: MYSQL });
    await reachable(admin, 'MariaDB', MYSQL);
    await admin.raw(`DROP DATABASE IF EXISTS \`${db}\``);
    await admin.raw(
      `CREATE DATABASE \`${db}\` CHARACTER SET utf8mb4 COLLATE ${options.mysqlCollation ?? 'utf8mb4_bin'}`,
    );
    await admin.destroy();
    const knex = knexFactory({
      client: 'mysql2',
      connection: { ...MYSQL, database: db, dateStrings: true, charset: 'utf8mb4' },
    });
    const connection: ConnectionSpec = { type: 'mysql', ...MYSQL, database: db };
    return {
      dialect,
      knex,
      connection,
      yaml: `{ type: mysql, host: "${MYSQL.host}", port: ${MYSQL.port}, user: "${MYSQL.user}", password: "${MYSQL.password}", database: ${db} }`,
      drop: async () => {
        await knex.raw(`DROP DATABASE IF EXISTS \`${db}\``);
        await knex.destroy();
      },
    };
  }
  const admin = knexFactory({ client: 'pg', connection: { ...POSTGRES, database: 'postgres' } });
  await reachable(admin, 'PostgreSQL', POSTGRES);
  await admin.raw(`DROP DATABASE IF EXISTS "${db}" WITH (FORCE)`);
  await admin.raw(`CREATE DATABASE "${db}" ENCODING 'UTF8' TEMPLATE template0`);
  await admin.destroy();
  const knex = knexFactory({ client: 'pg', connection: { ...POSTGRES, database: db } });
  const connection: ConnectionSpec = { type: 'postgres', ...POSTGRES, database: db };
  return {
    dialect,
    knex,
    connection,
    yaml: `{ type: postgres, host: "${POSTGRES.host}", port: ${POSTGRES.port}, user: "${POSTGRES.user}", password: "${POSTGRES.password}", database: ${db} }`,
    drop: async () => {
      await knex.destroy();
      const a = knexFactory({ client: 'pg', connection: { ...POSTGRES, database: 'postgres' } });
      await a.raw(`DROP DATABASE IF EXISTS "${db}" WITH (FORCE)`);
      await a.destroy();
    },
  };
}

async function reachable(k: Knex, what: string, where: { host: string; port: number }): Promise<void> {
  try {
    await k.raw('select 1');
  } catch (err) {
    await k.destroy();
    throw new Error(
      `${what} is not reachable at ${where.host}:${where.port} (${(err as Error).message}); the tests need it${process.env.CI === 'true' ? ' (CI=true: failing, not skipping)' : ''}`,
    );
  }
}

export interface FixtureTable {
  name: string;
  /** column -> knex type: 'integer' | 'bigInteger' | 'string' | 'text' | 'datetime' | 'decimal' | 'float' | 'boolean' */
  columns: Record<string, string>;
  rows: Record<string, unknown>[];
  indexes?: string[][];
}

/** Creates and fills tables with knex's schema builder: the same fixture on every dialect. */
export async function loadFixture(db: TestDatabase, tables: FixtureTable[]): Promise<void> {
  for (const table of tables) {
    await db.knex.schema.dropTableIfExists(table.name);
    await db.knex.schema.createTable(table.name, (t) => {
      for (const [column, type] of Object.entries(table.columns)) {
        // DATETIME without fractional seconds and without timezone: naive local times.
        if (type === 'datetime')
          t.specificType(
            column,
            db.dialect === 'postgres' ? 'timestamp(0) without time zone' : db.dialect === 'mysql' ? 'datetime' : 'text',
          );
        else if (type === 'decimal') t.decimal(column, 14, 2);
        else (t as unknown as Record<string, (c: string) => unknown>)[type](column);
      }
      for (const index of table.indexes ?? []) t.index(index);
    });
    for (let i = 0; i < table.rows.length; i += 500) await db.knex(table.name).insert(table.rows.slice(i, i + 500));
  }
}
