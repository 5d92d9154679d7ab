// Picks the renderer for a plan's dialect: the knex family, or HiveQL's own.
import type { Plan } from '../plan/plan.ts';
import { renderCount as renderKnexCount, renderQuery as renderKnexQuery, type SqlQuery } from './render-query.ts';

export type { SqlQuery };

export async function renderForDialect(plan: Plan): Promise<SqlQuery> {
  if (plan.dialect === 'hive') return (await import('./hive/render-hive.ts')).renderHiveQuery(plan);
  return renderKnexQuery(plan);
}

export async function renderCountForDialect(plan: Plan, ruleCount: number): Promise<SqlQuery> {
  if (plan.dialect === 'hive') return (await import('./hive/render-hive.ts')).renderHiveCount(plan, ruleCount);
  return renderKnexCount(plan, ruleCount);
}

/** The SQL with its values written in, for people to read (`compile`); never executed. */
export function showValues(query: SqlQuery): string {
  let i = 0;
  return query.sql.replace(/\?|\$\d+|:\d+/g, (placeholder) => {
    const index = placeholder === '?' ? i++ : Number(placeholder.slice(1)) - 1;
    const v = query.bindings[index];
    if (v === undefined) return placeholder;
    return typeof v === 'number' || typeof v === 'bigint'
      ? String(v)
      : typeof v === 'boolean'
        ? v
          ? 'TRUE'
          : 'FALSE'
        : `'${String(v).replace(/'/g, "''")}'`;
  });
}
