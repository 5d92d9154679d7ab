// A writing knex connection for the table destination, from a connections.yaml entry.
import knexFactory, { type Knex } from 'knex';
import { existsSync } from 'node:fs';
import { RunError } from '../errors.ts';
import { NO_VALUES_IN_ERRORS, withoutSqlInErrors } from '../knex-errors.ts';
import { type ConnectionSpec, serverFields } from '../config/connection-schema.ts';

export type TableDialect = 'sqlite' | 'mysql' | 'postgres';

export function tableKnex(name: string, spec: ConnectionSpec): { knex: Knex; dialect: TableDialect } {
  switch (spec.type) {
    case 'sqlite':
      if (spec.path !== ':memory:' && !existsSync(spec.path))
        throw new RunError(`${name}: SQLite file ${spec.path} does not exist`);
      return {
        dialect: 'sqlite',
        knex: openKnex({
          client: 'better-sqlite3',
          connection: { filename: spec.path },
          useNullAsDefault: true,
          pool: { min: 1, max: 1, afterCreate: sqliteBusyTimeout },
        }),
      };
    case 'mysql':
    case 'mariadb': {
      const connection = spec.url ?? { ...serverFields(spec, 3306), charset: 'utf8mb4', connectTimeout: 10000 };
      return { dialect: 'mysql', knex: openKnex({ client: 'mysql2', connection, pool: { min: 0, max: 1 } }) };
    }
    case 'postgres':
    case 'postgresql': {
      const base = spec.url ? { connectionString: spec.url } : serverFields(spec, 5432);
      return {
        dialect: 'postgres',
        knex: openKnex({
          client: 'pg',
          connection: { ...base, connectionTimeoutMillis: 10000 },
          searchPath: spec.schema ? [spec.schema] : undefined,
          pool: { min: 0, max: 1 },
        }),
      };
    }
    default:
      throw new RunError(
        `${name}: the table destination writes to MySQL, MariaDB, PostgreSQL or SQLite, not ${spec.type}`,
      );
  }
}

// Errors name the driver's cause, never the statement with a thousand leads' values.
const openKnex = (config: Knex.Config): Knex => withoutSqlInErrors(knexFactory({ ...config, ...NO_VALUES_IN_ERRORS }));

function sqliteBusyTimeout(
  conn: { pragma(s: string): unknown },
  done: (err: Error | null, conn: unknown) => void,
): void {
  conn.pragma('busy_timeout = 10000');
  done(null, conn);
}
