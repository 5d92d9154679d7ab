// Column conditions -> knex where clauses. Every value is a binding, never SQL text, and text
// compares exactly on every engine (exact-text.ts): the dialect comes from the builder.
import type { Knex } from 'knex';
import type { ColumnCondition, SqlValue } from '../config/where-schema.ts';
import { likeSql, valueSql } from './exact-text.ts';
import { builderDialect } from './knex-client.ts';
import { listSql } from './value-list.ts';

const COMPARISON = { eq: '=', ne: '<>', gt: '>', gte: '>=', lt: '<', lte: '<=' } as const;

export function applyWhere(qb: Knex.QueryBuilder, alias: string, conditions: readonly ColumnCondition[]): void {
  for (const { column, condition: c } of conditions) {
    const col = `${alias}.${column}`;
    switch (c.op) {
      case 'eq':
      case 'ne':
      case 'gt':
      case 'gte':
      case 'lt':
      case 'lte':
        whereCompare(qb, col, COMPARISON[c.op], c.value);
        break;
      case 'like':
      case 'ilike': {
        const { sql, bindings } = likeSql(builderDialect(qb), col, c.value, c.op === 'ilike');
        qb.whereRaw(sql, bindings);
        break;
      }
      case 'in':
      case 'not_in':
        whereValues(qb, col, c.values, c.op === 'not_in');
        break;
      case 'between': {
        const dialect = builderDialect(qb);
        qb.whereRaw(`?? between ${valueSql(dialect, c.low)} and ${valueSql(dialect, c.high)}`, [
          col,
          c.low as Knex.Value,
          c.high as Knex.Value,
        ]);
        break;
      }
      case 'is_null':
        c.value ? qb.whereNull(col) : qb.whereNotNull(col);
        break;
    }
  }
}

/** column <op> value, exact for text (see valueSql). */
export function whereCompare(qb: Knex.QueryBuilder, column: string, op: string, value: SqlValue): Knex.QueryBuilder {
  return qb.whereRaw(`?? ${op} ${valueSql(builderDialect(qb), value)}`, [column, value as Knex.Value]);
}

/** column [NOT] IN (values), exact for text, any number of values (see value-list.ts). */
export function whereValues(
  qb: Knex.QueryBuilder,
  column: string,
  values: readonly SqlValue[],
  not = false,
): Knex.QueryBuilder {
  const { sql, bindings } = listSql(builderDialect(qb), column, values, not);
  return qb.whereRaw(sql, bindings as Knex.Value[]);
}
