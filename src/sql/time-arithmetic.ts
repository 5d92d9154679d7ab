// Naive local time arithmetic and literals in SQL, per dialect. Columns are quoted by knex (??)
// and every value is a binding (durations are validated integers), so no value is ever
// spliced into SQL text.
import type { Knex } from 'knex';
import type { Dialect } from '../config/connection-schema.ts';

/** column + N seconds, on the naive value the column holds. */
export function plusSeconds(k: Knex, dialect: Dialect, column: string, seconds: number): Knex.Raw {
  switch (dialect) {
    case 'mysql':
      return k.raw('DATE_ADD(??, INTERVAL ? SECOND)', [column, seconds]);
    case 'postgres':
      return k.raw("(?? + CAST(? AS integer) * INTERVAL '1 second')", [column, seconds]);
    // datetime() returns 'YYYY-MM-DD HH:MM:SS', the format SQLite time columns are stored in,
    // so the result compares as text with the column.
    case 'sqlite':
      return k.raw("datetime(??, '+' || ? || ' seconds')", [column, seconds]);
    case 'oracle':
      return k.raw("(?? + NUMTODSINTERVAL(?, 'SECOND'))", [column, seconds]);
    // The HiveQL renderer writes the binding as a literal: INTERVAL '3600' SECOND (Hive 1.2+;
    // any number of seconds is normalised). MariaDB reads the same text.
    case 'hive':
      return k.raw('(?? + INTERVAL ? SECOND)', [column, String(seconds)]);
    default:
      throw new Error(`plusSeconds: ${dialect} renders its own SQL`);
  }
}

/**
 * A naive 'YYYY-MM-DD HH:MM:SS' bound for comparing with a time column. MySQL, PostgreSQL and
 * SQLite read the text as a time; Oracle would convert it with the session's NLS_DATE_FORMAT
 * (by default 'DD-MON-RR': ORA-01861), so it gets an explicit TO_DATE. TO_DATE rather than
 * TO_TIMESTAMP: a DATE value converts to a TIMESTAMP column's type, while a TIMESTAMP value
 * would convert a DATE column and make its index unusable.
 */
export function naiveTime(k: Knex, dialect: Dialect, local: string): string | Knex.Raw {
  if (dialect === 'oracle') return k.raw("TO_DATE(?, 'YYYY-MM-DD HH24:MI:SS')", [local]);
  // HiveQL: a typed literal, TIMESTAMP '...' (the renderer writes the binding in).
  if (dialect === 'hive') return k.raw('TIMESTAMP ?', [local]);
  return local;
}
