// audience.behaviour as SQL (issue 13): per person, the rows of a table in [at - within, at)
// that match the entry's conditions, counted and aggregated, then compared.
//
// A person with no rows has count 0 and NULL aggregates, so `count: { eq: 0 }` keeps them and
// `count: { gte: 1 }` or any comparison of an aggregate drops them. Two forms give exactly that:
// - knex family (SQLite, MySQL, PostgreSQL, Oracle): EXISTS over an aggregate without GROUP BY
//   and a HAVING. Such a query returns one row when HAVING holds, even over no rows (count 0,
//   SUM NULL), so the EXISTS is the comparison. It probes one person at a time through the
//   (person key, time) index, like the other EXISTS rules. The select list is count(*), not 1:
//   SQLite refuses HAVING on a query whose select list has no aggregate.
// - Hive: a LEFT JOIN to a grouped subquery (Hive has no correlated subquery with aggregates),
//   count read through COALESCE(n, 0); a person without rows has no match and NULL aggregates.
import type { Knex } from 'knex';
import type { AggregateCondition, Comparison } from '../config/behaviour-schema.ts';
import { aggregatesOf } from '../config/behaviour-schema.ts';
import type { BehaviourSpec } from '../config/job-schema.ts';
import type { Plan, Window } from '../plan/plan.ts';
import { applyPartition } from './partition.ts';
import { naiveTime } from './time-arithmetic.ts';
import { applyWhere, whereCompare } from './where.ts';

const PERSON = 'person_key';

/** Adds one condition per behaviour entry to the audience query `qb` (audience key `audienceKey`). */
export function applyBehaviour(qb: Knex.QueryBuilder, k: Knex, plan: Plan, audienceKey: string): void {
  const entries = plan.job.audience.behaviour ?? [];
  entries.forEach((entry, i) => {
    const window = plan.behaviourWindows![i];
    if (plan.dialect === 'hive') joinGrouped(qb, k, plan, entry, window, i + 1, audienceKey);
    else
      qb.whereExists((sub) => {
        const rows = `bh${i + 1}`;
        sub
          .select(k.raw('count(*)'))
          .from(`${entry.table} as ${rows}`)
          .whereRaw('?? = ??', [`${rows}.${entry.key ?? plan.job.audience.key}`, audienceKey]);
        matchingRows(sub, k, plan, entry, window, rows);
        for (const aggregate of aggregatesOf(entry))
          for (const c of aggregate.comparisons) {
            const [sql, ids] = aggregateExpression(aggregate, rows);
            compare(sub, 'having', sql, ids, c);
          }
      });
  });
}

/** The entry's rows in its window: event name, time bounds, partitions, where. */
function matchingRows(
  sub: Knex.QueryBuilder,
  k: Knex,
  plan: Plan,
  entry: BehaviourSpec,
  window: Window,
  rows: string,
): void {
  if (entry.event !== undefined) whereCompare(sub, `${rows}.${entry.name}`, '=', entry.event);
  sub
    .where(`${rows}.${entry.time}`, '>=', naiveTime(k, plan.dialect, window.from))
    .where(`${rows}.${entry.time}`, '<', naiveTime(k, plan.dialect, window.to));
  applyPartition(sub, rows, entry.partition, window);
  applyWhere(sub, rows, entry.where);
}

function aggregateExpression(a: AggregateCondition, rows: string): [string, string[]] {
  return a.fn === 'count' ? ['count(*)', []] : [`${a.fn}(??)`, [`${rows}.${a.column}`]];
}

const SQL_OP = { eq: '=', ne: '<>', gt: '>', gte: '>=', lt: '<', lte: '<=' } as const;

/** `expr op ?` (or BETWEEN) as a HAVING or WHERE clause; identifiers through ??, values bound. */
function compare(qb: Knex.QueryBuilder, clause: 'having' | 'where', expr: string, ids: string[], c: Comparison): void {
  const [sql, values] =
    c.op === 'between' ? [`${expr} between ? and ?`, [c.low, c.high]] : [`${expr} ${SQL_OP[c.op]} ?`, [c.value]];
  if (clause === 'having') qb.havingRaw(sql, [...ids, ...values]);
  else qb.whereRaw(sql, [...ids, ...values]);
}

const columnOf = (a: AggregateCondition) => (a.fn === 'count' ? 'n_rows' : `agg_${a.fn}`);

/** Hive: LEFT JOIN (rows grouped by person) and compare in WHERE; no rows reads as count 0. */
function joinGrouped(
  qb: Knex.QueryBuilder,
  k: Knex,
  plan: Plan,
  entry: BehaviourSpec,
  window: Window,
  n: number,
  audienceKey: string,
): void {
  const rows = `r${n}`;
  const grouped = `bh${n}`;
  const key = `${rows}.${entry.key ?? plan.job.audience.key}`;
  const aggregates = aggregatesOf(entry);
  const select: (string | Knex.Raw)[] = [`${key} as ${PERSON}`];
  for (const a of aggregates) {
    const [sql, ids] = aggregateExpression(a, rows);
    select.push(k.raw(`${sql} as ??`, [...ids, columnOf(a)]));
  }
  const sub = k.select(select).from(`${entry.table} as ${rows}`);
  matchingRows(sub, k, plan, entry, window, rows);
  sub.groupBy(key);
  qb.leftJoin(sub.as(grouped), `${grouped}.${PERSON}`, audienceKey);
  for (const a of aggregates) {
    const column = `${grouped}.${columnOf(a)}`;
    for (const c of a.comparisons) compare(qb, 'where', a.fn === 'count' ? 'coalesce(??, 0)' : '??', [column], c);
  }
}
