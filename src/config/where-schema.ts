// `where` maps (user, event, item and conversion properties): column -> condition.
// A scalar means =, a list means IN, a map holds operators that are AND-ed.
// Validated by hand inside zod so a misspelt operator gets its own message and suggestion.
import { z } from 'zod';
import { isIdentifier } from './identifier.ts';
import { suggest } from './suggest.ts';

export type SqlValue = string | number | boolean;

export type Condition =
  | { op: 'eq' | 'ne' | 'gt' | 'gte' | 'lt' | 'lte'; value: SqlValue }
  | { op: 'in' | 'not_in'; values: SqlValue[] }
  | { op: 'between'; low: SqlValue; high: SqlValue }
  | { op: 'like'; value: string }
  | { op: 'is_null'; value: boolean };

export interface ColumnCondition {
  column: string;
  condition: Condition;
}

export const OPERATORS = ['eq', 'ne', 'in', 'not_in', 'gt', 'gte', 'lt', 'lte', 'between', 'like', 'is_null'] as const;

const isValue = (v: unknown): v is SqlValue =>
  typeof v === 'string' || (typeof v === 'number' && Number.isFinite(v)) || typeof v === 'boolean';

type Ctx = z.RefinementCtx;

function checkList(value: unknown, ctx: Ctx, path: PropertyKey[], what: string): value is SqlValue[] {
  if (!Array.isArray(value) || value.length === 0) {
    ctx.addIssue({ code: 'custom', path, message: `${what} needs a non-empty list of values` });
    return false;
  }
  const bad = value.findIndex((v) => !isValue(v));
  if (bad >= 0) {
    ctx.addIssue({ code: 'custom', path: [...path, bad], message: 'expected a string, number or boolean' });
    return false;
  }
  return true;
}

function parseOperators(ops: Record<string, unknown>, ctx: Ctx, path: PropertyKey[]): Condition[] {
  const out: Condition[] = [];
  const entries = Object.entries(ops);
  if (entries.length === 0)
    ctx.addIssue({ code: 'custom', path, message: `an empty condition; use one of ${OPERATORS.join(', ')}` });
  for (const [op, value] of entries) {
    const at = [...path, op];
    switch (op) {
      case 'eq':
      case 'ne':
      case 'gt':
      case 'gte':
      case 'lt':
      case 'lte':
        if (isValue(value)) out.push({ op, value });
        else ctx.addIssue({ code: 'custom', path: at, message: `${op} expects a string, number or boolean` });
        break;
      case 'in':
      case 'not_in':
        if (checkList(value, ctx, at, op)) out.push({ op, values: value });
        break;
      case 'between':
        if (Array.isArray(value) && value.length === 2 && value.every(isValue))
          out.push({ op, low: value[0], high: value[1] });
        else ctx.addIssue({ code: 'custom', path: at, message: 'between expects [low, high] (inclusive)' });
        break;
      case 'like':
        if (typeof value === 'string') out.push({ op, value });
        else ctx.addIssue({ code: 'custom', path: at, message: 'like expects a string pattern such as "%冰箱%"' });
        break;
      case 'is_null':
        if (typeof value === 'boolean') out.push({ op, value });
        else ctx.addIssue({ code: 'custom', path: at, message: 'is_null expects true or false' });
        break;
      default:
        ctx.addIssue({
          code: 'custom',
          path: at,
          message: `unknown operator "${op}"${suggest(op, OPERATORS)}; operators: ${OPERATORS.join(', ')}`,
        });
    }
  }
  return out;
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
