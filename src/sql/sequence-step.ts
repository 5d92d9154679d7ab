// One B (not_followed_by) or followed_by step as the body of an EXISTS: an event of the same
// person, strictly after the previous event and at most step.within after it (issue 3), and
// (issue 13) from the step's own table, with item conditions through an item table, on the
// same item as A, and for the last step of a chain at most followed_within after A.
//
// The body correlates with the previous event only, except where a rule needs A itself and the
// previous event is a step that does not carry it (same_item after a step without it, and
// followed_within after two or more steps). Hive allows a subquery to refer to its parent query
// only, so those two refuse to compile for Hive, with the reason.
import type { Knex } from 'knex';
import type { SequenceStepSpec, TriggerSpec } from '../config/job-schema.ts';
import { SpecError } from '../errors.ts';
import type { Plan, Window } from '../plan/plan.ts';
import { applyPartition } from './partition.ts';
import { samePersonRows } from './same-person.ts';
import { plusSeconds } from './time-arithmetic.ts';
import { applyWhere, whereCompare } from './where.ts';

/** Where an event's columns are: its table, person key, event name, time, and item column. */
export interface EventColumns {
  table: string;
  key: string;
  name: string;
  time: string;
  /** The column that holds the item's key (events -> item table), when the trigger has an item. */
  item?: string;
}

/** A's columns: the trigger's table and options. */
export function triggerEventColumns(t: TriggerSpec, audienceKey: string): EventColumns {
  return {
    table: t.table,
    key: t.key ?? audienceKey,
    name: t.name,
    time: t.time,
    item: t.item && (t.item.event_key ?? t.item.key),
  };
}

/** A step's columns: its own table and options, else the trigger's. */
export function stepEventColumns(t: TriggerSpec, step: SequenceStepSpec, audienceKey: string): EventColumns {
  const a = triggerEventColumns(t, audienceKey);
  return {
    table: step.table ?? a.table,
    key: step.key ?? a.key,
    name: step.name ?? a.name,
    time: step.time ?? a.time,
    item: step.item?.event_key ?? a.item,
  };
}

/** An event in a chain: its alias in the query, its columns, and whether it is on A's item. */
export interface ChainEvent {
  alias: string;
  columns: EventColumns;
  /** True for A, and for a step with same_item: its item column holds A's item. */
  onAsItem: boolean;
}

export interface StepContext {
  plan: Plan;
  /** A, the chain's first event. */
  a: ChainEvent;
  previous: ChainEvent;
  /** Partition pruning window for every event the trigger reads. */
  partitionWindow: Window;
  /** The last step of a followed_by chain: followed_within applies to it. */
  last?: boolean;
}

/** Fills `sub` (an EXISTS body) with the rows that are this step after ctx.previous; returns the step as a ChainEvent. */
export function laterEvent(
  sub: Knex.QueryBuilder,
  k: Knex,
  step: SequenceStepSpec,
  alias: string,
  ctx: StepContext,
): ChainEvent {
  const { plan, a, previous } = ctx;
  const t = plan.job.trigger!;
  const cols = stepEventColumns(t, step, plan.job.audience.key);
  const prev = previous.columns;
  whereCompare(
    samePersonRows(sub, k, cols.table, alias, cols.key, `${previous.alias}.${prev.key}`),
    `${alias}.${cols.name}`,
    '=',
    step.event,
  )
    .where(`${alias}.${cols.time}`, '>', k.ref(`${previous.alias}.${prev.time}`))
    .where(`${alias}.${cols.time}`, '<=', plusSeconds(k, plan.dialect, `${previous.alias}.${prev.time}`, step.within));
  // A step from its own table is pruned only by its own partition spec.
  applyPartition(sub, alias, step.partition ?? (step.table ? undefined : t.partition), ctx.partitionWindow);
  applyWhere(sub, alias, step.where);
  // Always true (it is A's join condition), but it makes the probe depend on the item table:
  // MariaDB attaches a correlated subquery to the first table it references and would probe
  // for every event before the item condition (60x more probes in bench/trigger.ts).
  if (t.item && previous === a) sub.whereRaw('?? = ??', [`i.${t.item.key}`, `${a.alias}.${a.columns.item}`]);
  if (step.item) {
    const item = `${alias}_i`;
    const table = step.item.table ?? t.item!.table;
    const key = step.item.key ?? (step.item.table ? 'item_id' : t.item!.key);
    sub.join(`${table} as ${item}`, `${item}.${key}`, `${alias}.${cols.item ?? key}`);
    applyWhere(sub, item, step.item.where);
  }
  if (step.same_item) {
    const ref = previous.onAsItem ? previous : a;
    if (ref !== previous) needsParentOnly(plan, 'same_item on a step after a step without same_item');
    sub.whereRaw('?? = ??', [`${alias}.${cols.item}`, `${ref.alias}.${ref.columns.item}`]);
  }
  if (ctx.last && t.followed_within !== undefined) {
    if (previous !== a) needsParentOnly(plan, 'followed_within with two or more followed_by steps');
    sub.where(
      `${alias}.${cols.time}`,
      '<=',
      plusSeconds(k, plan.dialect, `${a.alias}.${a.columns.time}`, t.followed_within),
    );
  }
  return { alias, columns: cols, onAsItem: step.same_item === true };
}

function needsParentOnly(plan: Plan, what: string): void {
  if (plan.dialect !== 'hive') return;
  throw new SpecError([
    {
      file: plan.job.file,
      key: 'trigger',
      message: `${what} is not supported on Hive: it compares with A from a nested subquery, and Hive subqueries see only their parent query`,
    },
  ]);
}
