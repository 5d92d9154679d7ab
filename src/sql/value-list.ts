// `column IN (values)` for lists of any length (issue 9): a job may name 40,000 or 1,000,000
// ids, and each engine caps bound parameters (SQLite 32,766, PostgreSQL 65,535, Oracle 1,000
// expressions in one IN list and 65,535 binds; MariaDB has no cap but a 16 MB statement, which a
// million CAST(? AS BINARY) overflow). Short lists keep the readable `IN (?, ?, …)`; a longer
// list is ONE bound parameter that the engine unpacks itself:
//   - PostgreSQL: `col = ANY(?)` with an array literal ('{"a","b"}'), typed from the column;
//   - SQLite:     `col IN (SELECT value FROM json_each(?))` with a JSON array;
//   - MySQL/MariaDB: `col IN (SELECT … FROM JSON_TABLE(?, '$[*]' …))`, one per kind of value:
//     integers as BIGINT (DECIMAL(65,0) beyond 64 bits: never rounded through a double), other
//     numbers as DOUBLE, text as VARBINARY compared with CAST(col AS BINARY). The column side
//     must be cast: MariaDB 10.11 compares a materialized IN list (and any IN under OR or NOT)
//     in the column's collation, so with utf8mb4_general_ci `m` and `M ` matched `M` whatever
//     the list's type or collation (measured: test/integration/long-lists.test.ts). The cast costs
//     the index on the column: the list is materialized and the table scanned;
//   - Oracle: the same JSON_TABLE (VARCHAR2 text, NUMBER numbers);
//   - Hive: no bound parameters at all, so the list stays IN (literals) (hive-literal.ts).
// Comparison stays exactly as for a short list: NULL columns match neither IN nor NOT IN
// (SQL's three-valued logic), text compares byte for byte. Measured cost: README "Long lists".
import type { Dialect } from '../config/connection-schema.ts';
import type { SqlValue } from '../config/where-schema.ts';
import { valueSql } from './exact-text.ts';

/** Lists longer than this bind as one parameter (Oracle's IN list limit; MariaDB's own conversion point). */
export const LONG_LIST = 1000;

/** Knex raw SQL (`??` the column, `?` values) and its bindings, column included. */
export interface ListSql {
  sql: string;
  bindings: unknown[];
}

/**
 * `column [NOT] IN (values)` for `dialect`, exact for text, for any number of values
 * (duplicates are dropped first: they change nothing). Booleans of a long list are 1 and 0,
 * as every engine but PostgreSQL stores them.
 */
export function listSql(dialect: Dialect, column: string, values: readonly SqlValue[], not: boolean): ListSql {
  const list = distinct(values);
  if (list.length <= LONG_LIST || dialect === 'hive') {
    const sql = list.map((v) => valueSql(dialect, v)).join(', ');
    return { sql: `?? ${not ? 'not in' : 'in'} (${sql})`, bindings: [column, ...list] };
  }
  switch (dialect) {
    case 'postgres':
      // <> ALL is NOT IN: NULL for a NULL column, so that person is not matched either.
      return { sql: not ? '?? <> ALL(?)' : '?? = ANY(?)', bindings: [column, postgresArray(list)] };
    case 'sqlite':
      return {
        sql: `?? ${not ? 'not in' : 'in'} (select value from json_each(?))`,
        bindings: [column, jsonArray(list)],
      };
    case 'mysql':
    case 'oracle':
      return jsonTableSql(dialect, column, list, not);
  }
}

// One JSON_TABLE per kind of value, so each compares with the column as a bound value of that
// kind would: OR-ed, and NOT (…) for not_in (still NULL, so unmatched, for a NULL column).
function jsonTableSql(dialect: 'mysql' | 'oracle', column: string, list: SqlValue[], not: boolean): ListSql {
  const texts = list.filter((v): v is string => typeof v === 'string');
  const integers = list
    .filter(
      (v): v is number | bigint | boolean => typeof v !== 'string' && !(typeof v === 'number' && !Number.isInteger(v)),
    )
    .map((v) => (typeof v === 'boolean' ? Number(v) : v));
  const fractions = list.filter((v) => typeof v === 'number' && !Number.isInteger(v));
  const parts: { type: string; json: string; text?: true }[] = [];
  if (texts.length > 0) parts.push({ type: textType(dialect, texts), json: JSON.stringify(texts), text: true });
  if (integers.length > 0) parts.push({ type: integerType(dialect, integers), json: jsonArray(integers) });
  if (fractions.length > 0)
    parts.push({ type: dialect === 'mysql' ? 'DOUBLE' : 'BINARY_DOUBLE', json: jsonArray(fractions) });
  const sql = parts
    .map(
      (p) =>
        `${p.text && dialect === 'mysql' ? 'CAST(?? AS BINARY)' : '??'} in (select list_value from json_table(?, '$[*]' columns (list_value ${p.type} path '$'))${dialect === 'mysql' ? ' as list_values' : ''})`,
    )
    .join(' or ');
  const bindings = parts.flatMap((p) => [column, p.json]);
  if (not) return { sql: `not (${sql})`, bindings };
  return { sql: parts.length > 1 ? `(${sql})` : sql, bindings };
}

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

function integerType(dialect: 'mysql' | 'oracle', values: (number | bigint)[]): string {
  if (dialect === 'oracle') return 'NUMBER';
  const within64 = values.every((v) => BigInt(v) >= INT64_MIN && BigInt(v) <= INT64_MAX);
  return within64 ? 'BIGINT' : 'DECIMAL(65,0)';
}

// VARBINARY (against CAST(col AS BINARY)) compares bytes, as CAST(? AS BINARY) does for a
// short list; sized to the longest value.
function textType(dialect: 'mysql' | 'oracle', texts: string[]): string {
  // A loop, not Math.max(...list): a million arguments overflow the stack.
  const bytes = texts.reduce((most, t) => Math.max(most, Buffer.byteLength(t)), 1);
  if (dialect === 'oracle') return `VARCHAR2(${Math.min(bytes, 32767)})`;
  return bytes <= 65000 ? `VARBINARY(${bytes})` : 'LONGBLOB';
}

/** Values as a JSON array: text quoted, numbers with every digit (BigInt too), booleans 1/0. */
function jsonArray(values: readonly SqlValue[]): string {
  return `[${values.map((v) => (typeof v === 'string' ? JSON.stringify(v) : typeof v === 'boolean' ? Number(v) : String(v))).join(',')}]`;
}

/** A PostgreSQL array literal, every element quoted: the column's type parses each one. */
function postgresArray(values: readonly SqlValue[]): string {
  return `{${values.map((v) => `"${String(v).replace(/["\\]/g, '\\$&')}"`).join(',')}}`;
}

function distinct(values: readonly SqlValue[]): SqlValue[] {
  const seen = new Set<string>();
  return values.filter((v) => {
    const id = `${typeof v === 'bigint' ? 'number' : typeof v}:${String(v)}`;
    return !seen.has(id) && Boolean(seen.add(id));
  });
}
