// The behaviour trigger as SQL: a derived table of each person's qualifying trigger events A,
// ranked newest first, joined to the audience on rank 1. The join is the trigger rule (people
// without a qualifying A drop out) and gives `trigger.X` fields from the latest qualifying A.
//
// A qualifies when: name matches; tA in [at - within, at) (for `watch`: A matured in the tick's
// slice, see trigger-slice.ts); event and item conditions hold;
// not_followed_by: tA + W <= at and no B with tB in (tA, tA + W];
// followed_by: a chain of steps exists, each in (previous, previous + W] and before at.
// Nested EXISTS make the chain search exhaustive (not greedy): every candidate for step 1 is
// tried with every candidate for step 2, so an early step event that breaks the chain cannot
// hide a later one that completes it.
//
// Indexes that make this fast: (event_name, event_time) finds the As of the window;
// (person key, event_name, event_time) turns each NOT EXISTS / EXISTS into one range probe.
import type { Knex } from 'knex';
import type { Plan } from '../plan/plan.ts';
import { byteOrderText, textLength } from './exact-text.ts';
import { applyPartition } from './partition.ts';
import { runBounds, sliceBounds } from './trigger-slice.ts';
import { naiveTime } from './time-arithmetic.ts';
import { applyWhere, whereCompare } from './where.ts';
import { type ChainEvent, laterEvent, type StepContext, triggerEventColumns } from './sequence-step.ts';
import { qualifyingAsByWindow, usesWindowPass } from './trigger-window.ts';

export const LATEST_TRIGGER = 'lt';
const PERSON = 'person_key';
const RANK = 'trigger_rank';

// trigger.X is column X of A (tf_X); trigger.item.X column X of A's item row (ti_X).
const ITEM_FIELD = 'item.';
const fieldAlias = (column: string) =>
  column.startsWith(ITEM_FIELD) ? `ti_${column.slice(ITEM_FIELD.length)}` : `tf_${column}`;
const sourceColumn = (column: string) =>
  column.startsWith(ITEM_FIELD) ? `i.${column.slice(ITEM_FIELD.length)}` : `e.${column}`;

export function selectTriggerField(_k: Knex, _plan: Plan, column: string): string {
  return `${LATEST_TRIGGER}.${fieldAlias(column)}`;
}

/** The columns of A (X) and of its item (item.X) that lead.fields asks for as trigger.X, each once. */
function triggerColumns(plan: Plan): string[] {
  const columns = plan.job.lead.fields
    .filter((f) => f.column.startsWith('trigger.'))
    .map((f) => f.column.slice('trigger.'.length));
  return [...new Set(columns)];
}

/** Inner join of the audience to each person's latest qualifying trigger event. */
export function applyTrigger(qb: Knex.QueryBuilder, k: Knex, plan: Plan, audienceKey: string): void {
  const t = plan.job.trigger!;
  const key = t.key ?? plan.job.audience.key;
  const columns = triggerColumns(plan);
  // Newest first. Events at the same time are ordered by trigger.id when the job names one
  // (the greatest id: longer text first, then code points, so whole-number ids in numeric
  // order), then by the text of the selected columns in code-point order: the same order on
  // every engine whatever the column collation. Two events that still tie have the same text
  // in every selected column, so either gives the same lead.
  // PostgreSQL and Oracle sort NULLs first in DESC, MySQL and SQLite last.
  const nullsLast = plan.dialect === 'postgres' || plan.dialect === 'oracle' ? ' NULLS LAST' : '';
  const text = `${byteOrderText(plan.dialect)} DESC${nullsLast}`;
  const terms: { sql: string; column: string }[] = [{ sql: `?? DESC${nullsLast}`, column: t.time }];
  if (t.id)
    terms.push({ sql: `${textLength(plan.dialect)} DESC${nullsLast}`, column: t.id }, { sql: text, column: t.id });
  for (const c of columns) if (c !== t.time && c !== t.id) terms.push({ sql: text, column: c });
  const order = terms.map((term) => term.sql).join(', ');
  const qualifying = k.select([
    `e.${key} as ${PERSON}`,
    ...columns.map((c) => `${sourceColumn(c)} as ${fieldAlias(c)}`),
    k.raw(`ROW_NUMBER() OVER (PARTITION BY ?? ORDER BY ${order}) as ??`, [
      `e.${key}`,
      ...terms.map((term) => sourceColumn(term.column)),
      RANK,
    ]),
  ]);
  // followed_by of the plain shape: one pass of window functions (trigger-window.ts).
  if (usesWindowPass(plan, columns)) {
    const read = [...new Set([key, t.time, ...(t.id ? [t.id] : []), ...columns])];
    qualifyingAsByWindow(qualifying, k, plan, key, read, runBounds(plan), 'e');
  } else {
    qualifying.from(`${t.table} as e`);
    qualifyTriggerEvent(qualifying, k, plan, 'e', key);
  }
  qb.join(qualifying.as(LATEST_TRIGGER), (on) => {
    on.on(`${LATEST_TRIGGER}.${PERSON}`, '=', audienceKey).andOn(`${LATEST_TRIGGER}.${RANK}`, '=', k.raw('1'));
  });
}

/** The conditions that make row `e` of the events table a qualifying trigger event A. */
export function qualifyTriggerEvent(qb: Knex.QueryBuilder, k: Knex, plan: Plan, e: string, key: string): void {
  const t = plan.job.trigger!;
  // run: the As of [at - within, at); watch: the As that matured in the tick's slice.
  const bounds = plan.slice ? sliceBounds(t, plan.slice) : runBounds(plan);
  const time = (local: string) => naiveTime(k, plan.dialect, local);
  const partitionWindow = bounds.events;
  whereCompare(qb, `${e}.${t.name}`, '=', t.event)
    .where(`${e}.${t.time}`, '>=', time(bounds.aFrom))
    .where(`${e}.${t.time}`, '<', time(bounds.aTo));
  applyPartition(qb, e, t.partition, partitionWindow);
  applyWhere(qb, e, t.where);
  if (t.item) {
    const item = t.item;
    qb.join(`${item.table} as i`, `i.${item.key}`, `${e}.${item.event_key ?? item.key}`);
    applyWhere(qb, 'i', item.where);
  }
  // B and the steps: sequence-step.ts (same person, strictly after the previous event, within W).
  const a: ChainEvent = { alias: e, columns: triggerEventColumns(t, plan.job.audience.key), onAsItem: true };
  const context = (previous: ChainEvent, last?: boolean): StepContext => ({
    plan,
    a,
    previous,
    partitionWindow,
    last,
  });
  if (t.not_followed_by) {
    const b = t.not_followed_by;
    // Until the wait is over the person may still convert: not a lead yet. Once it is over
    // (tA + W <= at) every B that could block A lies at or before `at`, so A's verdict is
    // final and a later run gives the same answer for it. (watch: aTo is already to - W.)
    if (bounds.waitOverBy !== undefined) qb.where(`${e}.${t.time}`, '<=', time(bounds.waitOverBy));
    qb.whereNotExists((sub) => void laterEvent(sub, k, b, 'b', context(a)));
  }
  if (t.followed_by) {
    const steps = t.followed_by;
    // The body of an EXISTS: a chain of the steps from `previous` on, every step before `before`.
    const chain = (sub: Knex.QueryBuilder, index: number, previous: ChainEvent, before: string) => {
      const last = index + 1 === steps.length;
      const step = laterEvent(sub, k, steps[index], `s${index + 1}`, context(previous, last));
      sub.where(`${step.alias}.${step.columns.time}`, '<', time(before));
      if (!last) sub.whereExists((next) => chain(next, index + 1, step, before));
    };
    qb.whereExists((sub) => chain(sub, 0, a, bounds.chainBefore));
    const earlier = bounds.notMaturedBefore;
    // watch: A matured before the slice (a chain completed before it, and the wait, if any,
    // was over too) was decided by an earlier tick.
    if (earlier && earlier.waitFrom === undefined) qb.whereNotExists((sub) => chain(sub, 0, a, earlier.time));
    else if (earlier)
      qb.where((either) =>
        either
          .where(`${e}.${t.time}`, '>=', time(earlier.waitFrom!))
          .orWhereNotExists((sub) => chain(sub, 0, a, earlier.time)),
      );
  }
}
