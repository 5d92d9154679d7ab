// One query-building knex instance per dialect (no connection: knex only compiles here).
// HiveQL is compiled by knex's MySQL compiler (backticks, ? placeholders) on an instance of
// its own, so that the shared rules can ask a builder which dialect it renders
// (builderDialect) without every helper taking the dialect as a parameter.
import knexFactory, { type Knex } from 'knex';
import type { Dialect } from '../config/connection-schema.ts';

export type KnexDialect = Exclude<Dialect, 'hive'>;

const CLIENT: Record<Dialect, string> = {
  sqlite: 'better-sqlite3',
  mysql: 'mysql2',
  postgres: 'pg',
  oracle: 'oracledb',
  hive: 'mysql2',
};
const builders = new Map<Dialect, Knex>();
const dialectOfClient = new WeakMap<object, Dialect>();

export function queryBuilder(dialect: Dialect): Knex {
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
    dialectOfClient.set(k.client, dialect);
  }
  return k;
}

/** The dialect a query builder (or any sub-builder of it) renders; mysql for a foreign knex. */
export function builderDialect(qb: Knex.QueryBuilder): Dialect {
  return dialectOfClient.get((qb as unknown as { client: object }).client) ?? 'mysql';
}
