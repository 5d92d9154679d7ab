// One query-building knex instance per dialect (no connection: knex only compiles here).
import knexFactory, { type Knex } from 'knex';
import type { Dialect } from '../config/connection-schema.ts';

export type KnexDialect = Exclude<Dialect, 'hive'>;

const CLIENT: Record<KnexDialect, string> = {
  sqlite: 'better-sqlite3',
  mysql: 'mysql2',
  postgres: 'pg',
  oracle: 'oracledb',
};
const builders = new Map<KnexDialect, Knex>();

export function queryBuilder(dialect: KnexDialect): Knex {
  let k = builders.get(dialect);
  if (!k) {
    k = knexFactory({
      client: CLIENT[dialect],
      useNullAsDefault: true,
      // Oracle folds unquoted names to upper case; quoting what the job wrote in lower case
      // would then miss the table. Upper-casing matches Oracle's own rule for unquoted names.
      wrapIdentifier:
        dialect === 'oracle' ? (value, origImpl) => origImpl(value === '*' ? value : value.toUpperCase()) : undefined,
    });
    builders.set(dialect, k);
  }
  return k;
}
