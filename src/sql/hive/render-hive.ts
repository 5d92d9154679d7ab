// Plan -> HiveQL. The statement is built by the same rules, in the same funnel order, as the
// knex family (render-query.ts, audience-rules.ts), compiled by knex's MySQL compiler, whose
// output is HiveQL as well: backtick identifiers (validated plain names), AS aliases, INNER
// JOIN on a derived table, [NOT] EXISTS subqueries, ROW_NUMBER() OVER, LIMIT. The few places
// where Hive differs (time literals and arithmetic, the shard hash, NULL ordering) are 'hive'
// cases of the shared helpers. HiveServer2 has no bound parameters, so every `?` of the
// compiled statement is then replaced by its value as an escaped HiveQL literal.
//
// Every statement the tests render is checked with a HiveQL grammar (dt-sql-parser HiveSQL).
import type { Knex } from 'knex';
import type { Plan } from '../../plan/plan.ts';
import { queryBuilder } from '../knex-client.ts';
import { audienceQuery, countQuery, keyPosition, type SqlQuery } from '../render-query.ts';
import { hiveLiteral } from './hive-literal.ts';

// MySQL's compiler: its quoting (backticks) and placeholders (?) are what HiveQL needs.
const compiler = () => queryBuilder('hive');

export function renderHiveQuery(plan: Plan): SqlQuery {
  return { sql: renderHiveQL(audienceQuery(compiler(), plan)), bindings: [], ...keyPosition(plan) };
}

/** COUNT(*) after the first `ruleCount` rules: one step of the dry-run funnel. */
export function renderHiveCount(plan: Plan, ruleCount: number): SqlQuery {
  return { sql: renderHiveQL(countQuery(compiler(), plan, ruleCount)), bindings: [] };
}

/** A compiled statement with each placeholder replaced by its value's HiveQL literal. */
export function renderHiveQL(qb: Knex.QueryBuilder): string {
  const { sql, bindings } = qb.toSQL();
  // Identifiers are plain names and the rules write no literals of their own, so every `?` in
  // the text is a placeholder. Checked, so that a future rule with a '?' in its SQL fails
  // loudly here instead of shifting every value by one.
  const parts = sql.split('?');
  if (parts.length !== bindings.length + 1)
    throw new Error(`HiveQL: ${parts.length - 1} placeholders for ${bindings.length} values in: ${sql}`);
  let out = parts[0];
  for (let i = 0; i < bindings.length; i++) out += hiveLiteral(bindings[i]) + parts[i + 1];
  return out;
}
