// Column conditions -> knex where clauses. Every value is a binding, never SQL text.
import type { Knex } from 'knex';
import type { ColumnCondition } from '../config/where-schema.ts';

export function applyWhere(qb: Knex.QueryBuilder, alias: string, conditions: readonly ColumnCondition[]): void {
  for (const { column, condition: c } of conditions) {
    const col = `${alias}.${column}`;
    switch (c.op) {
      case 'eq':
        qb.where(col, '=', c.value);
        break;
      case 'ne':
        qb.where(col, '<>', c.value);
        break;
      case 'gt':
        qb.where(col, '>', c.value);
        break;
      case 'gte':
        qb.where(col, '>=', c.value);
        break;
      case 'lt':
        qb.where(col, '<', c.value);
        break;
      case 'lte':
        qb.where(col, '<=', c.value);
        break;
      case 'like':
        qb.where(col, 'like', c.value);
        break;
      case 'in':
        qb.whereIn(col, c.values);
        break;
      case 'not_in':
        qb.whereNotIn(col, c.values);
        break;
      case 'between':
        qb.whereBetween(col, [c.low, c.high]);
        break;
      case 'is_null':
        c.value ? qb.whereNull(col) : qb.whereNotNull(col);
        break;
    }
  }
}
