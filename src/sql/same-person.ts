// The body of every EXISTS / NOT EXISTS in the query: rows of `table` (as `alias`) that belong
// to the same person as the enclosing query's row.
import type { Knex } from 'knex';

export function samePersonRows(
  sub: Knex.QueryBuilder,
  k: Knex,
  table: string,
  alias: string,
  keyColumn: string,
  parentKey: string,
): Knex.QueryBuilder {
  return sub
    .select(k.raw('1'))
    .from(`${table} as ${alias}`)
    .whereRaw('?? = ??', [`${alias}.${keyColumn}`, parentKey]);
}
