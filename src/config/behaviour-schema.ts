// audience.behaviour: counted behaviour (issue 13). Each entry counts a person's rows of a fact
// or events table in [at - within, at) that match its conditions, and compares the count and/or
// an aggregate of a column (sum, min, max, avg). A person with no rows has count 0 and NULL
// aggregates, so `count: { eq: 0 }` means "did not". Entries are AND-ed.
import { z } from 'zod';
import { isIdentifier } from './identifier.ts';

/** A comparison of a count or an aggregate; the operators of `where` that compare one number. */
export type Comparison =
  | { op: 'eq' | 'ne' | 'gt' | 'gte' | 'lt' | 'lte'; value: number }
  | { op: 'between'; low: number; high: number };

export const AGGREGATES = ['sum', 'min', 'max', 'avg'] as const;
export type AggregateName = (typeof AGGREGATES)[number];

export interface AggregateCondition {
  fn: 'count' | AggregateName;
  /** The column aggregated; undefined for count (rows). */
  column?: string;
  comparisons: Comparison[];
}

const COMPARISON_OPS = ['eq', 'ne', 'gt', 'gte', 'lt', 'lte', 'between'] as const;

const isNumber = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

/** `{ gte: 30 }` or `{ between: [1, 5] }` (several AND-ed), or a bare number meaning eq. */
function parseComparisons(raw: unknown, ctx: z.RefinementCtx, path: PropertyKey[], skip: string[]): Comparison[] {
  if (isNumber(raw)) return [{ op: 'eq', value: raw }];
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    ctx.addIssue({ code: 'custom', path, message: 'expected a map of comparisons such as { gte: 30 }' });
    return [];
  }
  const out: Comparison[] = [];
  const entries = Object.entries(raw as Record<string, unknown>).filter(([op]) => !skip.includes(op));
  if (entries.length === 0)
    ctx.addIssue({ code: 'custom', path, message: 'needs at least one comparison such as gte: 30' });
  for (const [op, value] of entries) {
    const at = [...path, op];
    if (op === 'between') {
      if (Array.isArray(value) && value.length === 2 && value.every(isNumber))
        out.push({ op, low: value[0], high: value[1] });
      else ctx.addIssue({ code: 'custom', path: at, message: 'between expects [low, high] numbers (inclusive)' });
    } else if ((COMPARISON_OPS as readonly string[]).includes(op)) {
      if (isNumber(value)) out.push({ op: op as 'eq', value });
      else ctx.addIssue({ code: 'custom', path: at, message: `${op} expects a number` });
    } else
      ctx.addIssue({
        code: 'custom',
        path: at,
        message: `unknown comparison "${op}"; use ${COMPARISON_OPS.join(', ')}${skip.length ? ` (and ${skip.join(', ')})` : ''}`,
      });
  }
  return out;
}

const countSchema = z.unknown().transform((raw, ctx): AggregateCondition => {
  return { fn: 'count', comparisons: parseComparisons(raw, ctx, [], []) };
});

const aggregateSchema = (fn: AggregateName) =>
  z.unknown().transform((raw, ctx): AggregateCondition => {
    const column = (raw as { column?: unknown } | null)?.column;
    if (typeof column !== 'string' || !isIdentifier(column)) {
      ctx.addIssue({
        code: 'custom',
        path: ['column'],
        message: `${fn} needs column: the column to aggregate (a plain column name)`,
      });
      return z.NEVER;
    }
    return { fn, column, comparisons: parseComparisons(raw, ctx, [], ['column']) };
  });

/** The aggregate keys of a behaviour entry; job-schema.ts adds table, within, where, ... */
export const aggregateKeys = {
  count: countSchema.optional(),
  sum: aggregateSchema('sum').optional(),
  min: aggregateSchema('min').optional(),
  max: aggregateSchema('max').optional(),
  avg: aggregateSchema('avg').optional(),
};

type AggregateKeys = Partial<Record<'count' | AggregateName, AggregateCondition>>;

export const NEEDS_AGGREGATE = 'a behaviour entry needs count, or one of sum, min, max, avg (with column)';

export const hasAggregate = (b: AggregateKeys) => aggregatesOf(b).length > 0;

/** The aggregate conditions of one entry, count first. */
export function aggregatesOf(entry: AggregateKeys): AggregateCondition[] {
  return (['count', ...AGGREGATES] as const).flatMap((fn) => (entry[fn] ? [entry[fn]!] : []));
}
