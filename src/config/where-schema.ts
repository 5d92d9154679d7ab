// `where` maps (user, event, item and conversion properties): column -> condition.
// A scalar means =, a list means IN, a map holds operators that are AND-ed.
// Validated by hand inside zod so a misspelt operator gets its own message and suggestion.
import { z } from 'zod';
import { isIdentifier } from './identifier.ts';
import { suggest } from './suggest.ts';

/** A value as the job wrote it: text, a number kept exactly (BigInt beyond ±2^53), a boolean. */
export type SqlValue = string | number | bigint | boolean;

export type Condition =
  | { op: 'eq' | 'ne' | 'gt' | 'gte' | 'lt' | 'lte'; value: SqlValue }
  | { op: 'in' | 'not_in'; values: SqlValue[] }
  | { op: 'between'; low: SqlValue; high: SqlValue }
  /** LIKE, exact (case- and space-sensitive); `ilike` folds case with the engine's rules. */
  | { op: 'like' | 'ilike'; value: string }
  | { op: 'is_null'; value: boolean };

export interface ColumnCondition {
  column: string;
  condition: Condition;
}

export const OPERATORS = [
  'eq',
  'ne',
  'in',
  'not_in',
  'gt',
  'gte',
  'lt',
  'lte',
  'between',
  'like',
  'ilike',
  'is_null',
] as const;

const isValue = (v: unknown): v is SqlValue =>
  typeof v === 'string' ||
  (typeof v === 'number' && Number.isFinite(v)) ||
  typeof v === 'bigint' ||
  typeof v === 'boolean';

/** A value for a message, as near to how it was typed as the parsed value allows. */
const shown = (v: unknown): string =>
  typeof v === 'string' ? JSON.stringify(v) : typeof v === 'object' && v !== null ? JSON.stringify(v) : String(v);

// [45, 25] can match nothing: an error, not a silent empty result. Numbers compare as numbers,
// text by code point (the order every engine uses for text here).
function reversed(low: SqlValue, high: SqlValue): boolean {
  if ((typeof low === 'number' || typeof low === 'bigint') && (typeof high === 'number' || typeof high === 'bigint'))
    return low > high;
  return typeof low === 'string' && typeof high === 'string' && low > high;
}

type Ctx = z.RefinementCtx;

function checkList(value: unknown, ctx: Ctx, path: PropertyKey[], what: string): value is SqlValue[] {
  if (!Array.isArray(value) || value.length === 0) {
    ctx.addIssue({ code: 'custom', path, message: `${what} needs a non-empty list of values` });
    return false;
  }
  const bad = value.findIndex((v) => !isValue(v));
  if (bad >= 0) {
    ctx.addIssue({
      code: 'custom',
      path: [...path, bad],
      message: `${shown(value[bad])} is not a value: expected a string, number or boolean`,
    });
    return false;
  }
  return true;
}

function parseOperators(ops: Record<string, unknown>, ctx: Ctx, path: PropertyKey[]): Condition[] {
  const entries = Object.entries(ops);
  if (entries.length === 0)
    ctx.addIssue({ code: 'custom', path, message: `an empty condition; use one of ${OPERATORS.join(', ')}` });
  const out: Condition[] = [];
  for (const [op, value] of entries) {
    const condition = parseOperator(op, value, ctx, [...path, op]);
    if (condition) out.push(condition);
  }
  return out;
}

// One operator and its value: the condition, or undefined after an issue at `at`.
function parseOperator(op: string, value: unknown, ctx: Ctx, at: PropertyKey[]): Condition | undefined {
  const refuse = (message: string): undefined => {
    ctx.addIssue({ code: 'custom', path: at, message });
    return undefined;
  };
  switch (op) {
    case 'eq':
    case 'ne':
    case 'gt':
    case 'gte':
    case 'lt':
    case 'lte':
      return isValue(value) ? { op, value } : refuse(`${op} expects a string, number or boolean, not ${shown(value)}`);
    case 'in':
    case 'not_in':
      return checkList(value, ctx, at, op) ? { op, values: value } : undefined;
    case 'between':
      if (!Array.isArray(value) || value.length !== 2 || !value.every(isValue))
        return refuse(`between expects [low, high] (inclusive), not ${shown(value)}`);
      if (reversed(value[0], value[1]))
        return refuse(
          `between [${shown(value[0])}, ${shown(value[1])}] can match nothing (low is above high): write [${shown(value[1])}, ${shown(value[0])}]`,
        );
      return { op, low: value[0], high: value[1] };
    case 'like':
    case 'ilike':
      return typeof value === 'string'
        ? { op, value }
        : refuse(`${op} expects a string pattern such as "%冰箱%", not ${shown(value)}`);
    case 'is_null':
      return typeof value === 'boolean' ? { op, value } : refuse(`is_null expects true or false, not ${shown(value)}`);
    default:
      return refuse(`unknown operator "${op}"${suggest(op, OPERATORS)}; operators: ${OPERATORS.join(', ')}`);
  }
}

/** Normalises one `where` map into column conditions (AND-ed). */
export const whereSchema = z
  .unknown()
  .optional()
  .transform((raw, ctx): ColumnCondition[] => {
    if (raw === undefined || raw === null) return [];
    if (typeof raw !== 'object' || Array.isArray(raw)) {
      ctx.addIssue({ code: 'custom', message: 'expected a map of column: condition' });
      return z.NEVER;
    }
    const out: ColumnCondition[] = [];
    for (const [column, cond] of Object.entries(raw as Record<string, unknown>)) {
      const path = [column];
      if (!isIdentifier(column)) {
        ctx.addIssue({
          code: 'custom',
          path,
          message: `"${column}" is not a valid column name (letters, digits and _ only)`,
        });
        continue;
      }
      if (cond === null) out.push({ column, condition: { op: 'is_null', value: true } });
      else if (isValue(cond)) out.push({ column, condition: { op: 'eq', value: cond } });
      else if (Array.isArray(cond)) {
        if (checkList(cond, ctx, path, 'a list (IN)')) out.push({ column, condition: { op: 'in', values: cond } });
      } else if (typeof cond === 'object') {
        for (const condition of parseOperators(cond as Record<string, unknown>, ctx, path))
          out.push({ column, condition });
      } else ctx.addIssue({ code: 'custom', path, message: 'expected a value, a list or a map of operators' });
    }
    return out;
  });
