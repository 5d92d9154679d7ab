// followed_by in one pass over the events (issue 15): the window's events of the names involved,
// each filtered by its own conditions, as one UNION ALL tagged with its step (0 = A, 1..n = the
// steps), then one window-function level per step, working back from the last:
//
//   level j: for every row, the earliest step-j event of the same person strictly after it
//            (MIN over the following rows, ordered by time and, among equal times, by step
//            descending, so a step-j event at the same instant is never "after");
//            a step-(j-1) row is kept when that event is within step j's `within`.
//   the As left after level 1 are the qualifying As.
//
// The same answer as the nested EXISTS (trigger.ts): a step-(j-1) event starts a complete rest
// of the chain exactly when the earliest later step-j event that starts one is within W_j, and
// working back from the last step only step-j events that start a complete rest are left.
// Used for `run` with followed_by alone (no not_followed_by, no watch slice) on the knex
// dialects that can read it; the EXISTS form stays for the rest (Hive's own renderer, watch).
// On 10M events (bench/sequences.ts) the correlated EXISTS made ~200k random index probes.
import type { Knex } from 'knex';
import type { Plan } from '../plan/plan.ts';
import { applyPartition } from './partition.ts';
import { plusSeconds, naiveTime } from './time-arithmetic.ts';
import type { TriggerBounds } from './trigger-slice.ts';
import { applyWhere, whereCompare } from './where.ts';

const STEP = 'crm_step';
const NEXT = 'crm_next';
const WINDOW_DIALECTS = new Set(['mysql', 'postgres', 'sqlite', 'oracle']);

/**
 * Whether the trigger's qualifying As are found by the window-function pass: `run` (no watch
 * slice) with followed_by alone, every step an event of A's table (no step table, key, name,
 * time, partition, item or same_item; no followed_within), trigger.X fields of A's own row.
 * `columns` are the trigger columns the lead selects.
 */
export function usesWindowPass(plan: Plan, columns: string[]): boolean {
  const t = plan.job.trigger;
  if (!t?.followed_by?.length || t.not_followed_by || t.followed_within !== undefined) return false;
  if (plan.slice || !WINDOW_DIALECTS.has(plan.dialect)) return false;
  const plainStep = (s: (typeof t.followed_by)[number]) =>
    !s.table && !s.key && !s.name && !s.time && !s.partition && !s.item && !s.same_item;
  return t.followed_by.every(plainStep) && columns.every((c) => !c.startsWith('item.'));
}

/**
 * The derived table of qualifying As, aliased `alias`, with the events table's columns
 * `columns` (the person key, the time and what the trigger selects) under their own names;
 * `where` on it keeps the As (step 0) whose step 1 is within reach. Knex builder, unbound SQL.
 */
export function qualifyingAsByWindow(
  qb: Knex.QueryBuilder,
  k: Knex,
  plan: Plan,
  key: string,
  columns: string[],
  bounds: TriggerBounds,
  alias: string,
): void {
  const t = plan.job.trigger!;
  const steps = t.followed_by!;
  let source = eventsOfTheChain(k, plan, key, columns, bounds);
  for (let j = steps.length; j >= 1; j--) {
    const level = k
      .select([...columns.map((c) => `x.${c}`), `x.${STEP}`, nextStep(k, key, t.time, j)])
      .from(source.as('x'));
    if (j < steps.length) keepReachable(level, k, plan, 'x', j, steps[j].within);
    source = level;
  }
  qb.from(source.as(alias));
  keepReachable(qb, k, plan, alias, 0, steps[0].within);
}

// Rows of step < j pass; a step-j row passes when the next step lies within `within` of it.
function keepReachable(qb: Knex.QueryBuilder, k: Knex, plan: Plan, x: string, j: number, within: number): void {
  const time = `${x}.${plan.job.trigger!.time}`;
  const reached = (q: Knex.QueryBuilder) =>
    q
      .where(`${x}.${STEP}`, '=', k.raw(String(j)))
      .where(`${x}.${NEXT}`, '<=', plusSeconds(k, plan.dialect, time, within));
  if (j === 0) reached(qb);
  else qb.where((either) => either.where(`${x}.${STEP}`, '<', k.raw(String(j))).orWhere(reached));
}

// The earliest step-j time among the rows strictly after this one (same person).
function nextStep(k: Knex, key: string, time: string, j: number): Knex.Raw {
  return k.raw(
    `MIN(CASE WHEN ?? = ${j} THEN ?? END) OVER (PARTITION BY ?? ORDER BY ??, ?? DESC ROWS BETWEEN 1 FOLLOWING AND UNBOUNDED FOLLOWING) as ??`,
    [`x.${STEP}`, `x.${time}`, `x.${key}`, `x.${time}`, `x.${STEP}`, NEXT],
  );
}

// A's events (with the item join) and each step's events, in [A's first time, chainBefore).
// The step numbers are generated integers written into the SQL (as the `1` of an EXISTS is):
// as bindings, PostgreSQL would type them as text in the UNION.
function eventsOfTheChain(
  k: Knex,
  plan: Plan,
  key: string,
  columns: string[],
  bounds: TriggerBounds,
): Knex.QueryBuilder {
  const t = plan.job.trigger!;
  const time = (local: string) => naiveTime(k, plan.dialect, local);
  const branch = (alias: string, step: number) =>
    k.select([...columns.map((c) => `${alias}.${c}`), k.raw(`${step} as ??`, [STEP])]).from(`${t.table} as ${alias}`);
  const a = whereCompare(branch('e', 0), `e.${t.name}`, '=', t.event)
    .where(`e.${t.time}`, '>=', time(bounds.aFrom))
    .where(`e.${t.time}`, '<', time(bounds.aTo));
  applyPartition(a, 'e', t.partition, bounds.events);
  applyWhere(a, 'e', t.where);
  if (t.item) {
    a.join(`${t.item.table} as i`, `i.${t.item.key}`, `e.${t.item.event_key ?? t.item.key}`);
    applyWhere(a, 'i', t.item.where);
  }
  const union = t.followed_by!.map((step, index) => {
    const alias = `s${index + 1}`;
    const rows = whereCompare(branch(alias, index + 1), `${alias}.${t.name}`, '=', step.event)
      .where(`${alias}.${t.time}`, '>', time(bounds.aFrom))
      .where(`${alias}.${t.time}`, '<', time(bounds.chainBefore));
    applyPartition(rows, alias, t.partition, bounds.events);
    applyWhere(rows, alias, step.where);
    return rows;
  });
  return a.unionAll(union);
}
