// Exact text, the same on every engine: code-point order and comparison, case- and
// space-sensitive. Each engine's default differs (MariaDB's utf8mb4_general_ci ignores case
// and trailing spaces, SQLite's LIKE ignores ASCII case, PostgreSQL orders by the database's
// locale), so every place that compares or orders text by a value the job wrote goes through
// these helpers. Fragments use knex's ?? (identifier) and ? (binding) placeholders.
import type { Dialect } from '../config/connection-schema.ts';

/**
 * A column's value as text ordered by code point (UTF-8 bytes order the same way), whatever
 * the column's type and collation: the engine-independent tie-break among trigger events.
 * Numbers and times become their text, which is the same on every engine for integers and
 * naive times; two rows with the same text in every selected column give the same lead.
 */
export function byteOrderText(dialect: Dialect): string {
  switch (dialect) {
    case 'mysql':
      return 'CAST(?? AS BINARY)';
    case 'postgres':
      return 'CAST(?? AS text) COLLATE "C"';
    case 'sqlite':
      return 'CAST(?? AS TEXT) COLLATE BINARY';
    case 'oracle':
      return "NLSSORT(TO_CHAR(??), 'NLS_SORT=BINARY')";
    // Hive compares strings by their UTF-8 bytes; concat() turns any primitive into its text
    // (as in the shard hash, and MariaDB behind the Hive test server reads it too).
    case 'hive':
      return 'concat(??)';
  }
}

/**
 * The length in characters of a column's text. Ordering by (length, byteOrderText) puts
 * whole-number ids in numeric order (no leading zeros) and any other text in one exact order.
 */
export function textLength(dialect: Dialect): string {
  switch (dialect) {
    case 'mysql':
      return 'CHAR_LENGTH(CAST(?? AS CHAR))';
    case 'postgres':
      return 'char_length(CAST(?? AS text))';
    case 'sqlite':
      return 'length(CAST(?? AS TEXT))';
    case 'oracle':
      return 'LENGTH(TO_CHAR(??))';
    case 'hive':
      return 'length(concat(??))';
  }
}

/**
 * ORDER BY terms for `lead.order_by` on a column of any type, NULLs last: text in code-point
 * order (case- and space-sensitive) on every engine, numbers and times in their own order.
 * The column's type is not known when the job compiles, so the engine picks: MySQL/MariaDB
 * sort text columns (COLLATION() is not 'binary') by their bytes first, PostgreSQL text
 * columns (pg_typeof) by COLLATE "C"; for other types that first term is NULL for every row
 * and the column itself decides. SQLite's default BINARY collation and Hive's byte order are
 * exact already; Oracle sorts by NLS_SORT, BINARY under the default AMERICAN language.
 * Returns knex raw SQL where every `??` is the column.
 */
export function orderTerms(dialect: Dialect, direction: 'asc' | 'desc'): string {
  switch (dialect) {
    case 'mysql':
      return `?? IS NULL, CASE WHEN COLLATION(??) <> 'binary' THEN CAST(?? AS BINARY) END ${direction}, ?? ${direction}`;
    case 'hive':
      return `?? IS NULL, ?? ${direction}`;
    case 'postgres':
      return `CASE WHEN pg_typeof(??) IN ('text'::regtype, 'character varying'::regtype, 'character'::regtype) THEN CAST(?? AS text) COLLATE "C" END ${direction} NULLS LAST, ?? ${direction} NULLS LAST`;
    case 'sqlite':
    case 'oracle':
      return `?? ${direction} NULLS LAST`;
  }
}

/**
 * The SQL for one bound value compared with a column, exact for text on every engine.
 * MySQL/MariaDB: a string becomes CAST(? AS BINARY), so the comparison is byte by byte (no
 * case folding, no trailing-space padding) whatever the column's collation, while a number
 * or temporal column still converts the text as usual. The column side stays bare, so an
 * index on it is still used for = and IN (EXPLAIN in test/integration/exact-strings.test.ts).
 * The other engines compare text exactly already (PostgreSQL and Oracle equality, SQLite's
 * BINARY default collation); Hive compares strings by their bytes.
 */
export function valueSql(dialect: Dialect, value: unknown): string {
  return dialect === 'mysql' && typeof value === 'string' ? 'CAST(? AS BINARY)' : '?';
}

/**
 * A LIKE condition as the job means it: `%` any text, `_` one character, `\` escapes the next
 * character; exact (case- and space-sensitive) for `like`, case-folded for `ilike`.
 * Returns knex raw SQL (?? the column, ? the pattern) and its bindings.
 */
export function likeSql(
  dialect: Dialect,
  column: string,
  pattern: string,
  ignoreCase: boolean,
): { sql: string; bindings: string[] } {
  const one = (sql: string, value = pattern) => ({ sql, bindings: [column, value] });
  switch (dialect) {
    case 'mysql':
      // LIKE under the column's collation finds the candidates (a prefix pattern can use the
      // index); the utf8mb4_bin LIKE then keeps only exact matches (character-wise, so `_`
      // is one character, not one byte as with a BINARY pattern).
      return ignoreCase
        ? one('lower(??) like lower(?)')
        : { sql: '(?? like ? and ?? like ? COLLATE utf8mb4_bin)', bindings: [column, pattern, column, pattern] };
    case 'postgres':
      return one(ignoreCase ? '?? ilike ?' : '?? like ?');
    // SQLite's LIKE ignores ASCII case and has no default escape; GLOB is exact, so `like`
    // becomes the equivalent GLOB pattern and `ilike` is SQLite's own LIKE.
    case 'sqlite':
      return ignoreCase ? one("?? like ? ESCAPE '\\'") : one('?? GLOB ?', likeToGlob(pattern));
    case 'oracle':
      return one(ignoreCase ? "LOWER(??) like LOWER(?) ESCAPE '\\'" : "?? like ? ESCAPE '\\'");
    case 'hive':
      return one(ignoreCase ? 'lower(??) like lower(?)' : '?? like ?');
  }
}

/** A LIKE pattern (% _ and \ escapes) as the SQLite GLOB pattern that matches the same text. */
export function likeToGlob(pattern: string): string {
  let out = '';
  const chars = [...pattern];
  for (let i = 0; i < chars.length; i++) {
    const ch = chars[i];
    if (ch === '\\' && i + 1 < chars.length) out += globLiteral(chars[++i]);
    else if (ch === '%') out += '*';
    else if (ch === '_') out += '?';
    else out += globLiteral(ch);
  }
  return out;
}

// GLOB's own wildcards as literals: a one-character class.
function globLiteral(ch: string): string {
  return ch === '*' || ch === '?' || ch === '[' ? `[${ch}]` : ch;
}
