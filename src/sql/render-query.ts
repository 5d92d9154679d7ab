// Plan -> one SQL statement with bindings, for the knex family (MySQL, PostgreSQL, SQLite,
// Oracle). The row layout is [person key, ...lead fields], read as arrays. When a lead field is
// the key itself the key is selected once, as that field, and the warehouse copies it to the
// front of each row (SqlQuery.keyAt, src/warehouses/key-first.ts).
import type { Knex } from 'knex';
import type { Plan } from '../plan/plan.ts';
import { AUDIENCE, rulesFor } from './audience-rules.ts';
import { orderTerms } from './exact-text.ts';
import { orderByKeyText } from './key-order.ts';
import { queryBuilder, type KnexDialect } from './knex-client.ts';
import { applyReachColumns } from './reach-columns.ts';
import { selectTriggerField } from './trigger.ts';

export interface SqlQuery {
  sql: string;
  bindings: unknown[];
  /**
   * The position of the person key among the selected columns when it is not selected first
   * (it is a lead field): the warehouse gives each row back with that value copied to the front,
   * so readers always see [person key, ...lead fields].
   */
  keyAt?: number;
}

export function renderQuery(plan: Plan): SqlQuery {
  return { ...native(audienceQuery(queryBuilder(plan.dialect as KnexDialect), plan)), ...keyPosition(plan) };
}

/** The lead field that reads the person key's own column, if any: the key is then selected once, as it. */
export function keyField(plan: Plan): number | undefined {
  const key = plan.job.audience.key;
  const i = plan.job.lead.fields.findIndex((field) => field.column === key);
  return i < 0 ? undefined : i;
}

/** `{ keyAt }` for a query whose key is a lead field (see SqlQuery.keyAt); else nothing. */
export function keyPosition(plan: Plan): Pick<SqlQuery, 'keyAt'> {
  const i = keyField(plan);
  return i === undefined ? {} : { keyAt: i };
}

/** COUNT(*) after the first `ruleCount` rules: one step of the dry-run funnel. */
export function renderCount(plan: Plan, ruleCount: number): SqlQuery {
  return native(countQuery(queryBuilder(plan.dialect as KnexDialect), plan, ruleCount));
}

/** The lead query as a builder of `k`; the HiveQL renderer compiles it with its own literals. */
export function audienceQuery(k: Knex, plan: Plan): Knex.QueryBuilder {
  const { audience, lead } = plan.job;
  const qb = k(`${audience.table} as ${AUDIENCE}`);
  const columns: (string | Knex.Raw)[] = keyField(plan) === undefined ? [`${AUDIENCE}.${audience.key}`] : [];
  for (const field of lead.fields) {
    columns.push(
      field.column.startsWith('trigger.')
        ? selectTriggerField(k, plan, field.column.slice('trigger.'.length))
        : // follow_up.X comes from the state store: a NULL the stream fills in (src/run/follow-up.ts).
          // A follow-up job always filters in the stream, so LIMIT (and Oracle's byPosition) stays out.
          field.column.startsWith('follow_up.')
          ? k.raw('NULL')
          : `${AUDIENCE}.${field.column}`,
    );
  }
  // Addresses and opt-out flags per channel (after the fields): left joins, they drop nobody.
  columns.push(...applyReachColumns(qb, k, plan, AUDIENCE));
  // Oracle's limit is knex's `select * from (...) where rownum <= n`, and `select *` over a
  // derived table with two columns of one name (two fields of one column, an address column
  // that is also a field) fails with ORA-00918: there the columns are named by position. Rows
  // are read as arrays anyway.
  const byPosition = plan.dialect === 'oracle' && plan.pushLimit;
  qb.select(byPosition ? columns.map((c, i) => `${c as string} as c${i}`) : columns);
  for (const rule of rulesFor(plan)) rule.apply(qb, k, plan);
  applyOrder(qb, k, plan);
  if (plan.pushLimit) qb.limit(lead.limit!);
  return qb;
}

export function countQuery(k: Knex, plan: Plan, ruleCount: number): Knex.QueryBuilder {
  const qb = k(`${plan.job.audience.table} as ${AUDIENCE}`).count({ n: '*' });
  for (const rule of rulesFor(plan).slice(0, ruleCount)) rule.apply(qb, k, plan);
  return qb;
}

// NULLs sort last in every dialect (MySQL has no NULLS LAST: an IS NULL key first does it;
// HiveQL gets the same form, which Hive reads and the MariaDB behind its test server too),
// text sorts by code point (orderTerms), and the person key breaks ties so that `limit` picks
// the same people on every engine (unless order_by already sorts by it).
// A follow-up's merge join (plan.followUpMerge, never with an order_by) needs the key's merge
// order instead, which keeps whole-number keys in numeric order for `limit`.
function applyOrder(qb: Knex.QueryBuilder, _k: Knex, plan: Plan): void {
  if (plan.followUpMerge) {
    orderByKeyText(qb, plan.dialect, `${AUDIENCE}.${plan.job.audience.key}`);
    return;
  }
  const order = Object.entries(plan.job.lead.order_by ?? {});
  for (const [column, direction] of order) {
    const terms = orderTerms(plan.dialect, direction);
    qb.orderByRaw(terms, Array(terms.split('??').length - 1).fill(`${AUDIENCE}.${column}`));
  }
  const key = plan.job.audience.key;
  if ((order.length > 0 || plan.job.lead.limit !== undefined) && !order.some(([column]) => column === key))
    qb.orderBy(`${AUDIENCE}.${key}`, 'asc');
}

function native(qb: Knex.QueryBuilder): SqlQuery {
  const { sql, bindings } = qb.toSQL().toNative();
  return { sql, bindings: [...bindings] };
}
