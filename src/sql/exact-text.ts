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
