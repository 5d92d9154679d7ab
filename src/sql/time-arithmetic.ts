// naive timestamp + N seconds, per dialect. The column is quoted by knex (??) and N is a
// bound integer (validated as one by the spec), so no value is ever spliced into SQL text.
import type { Knex } from 'knex';
import type { Dialect } from '../spec/connection-schema.ts';

export function plusSeconds(k: Knex, dialect: Dialect, column: string, seconds: number): Knex.Raw {
  switch (dialect) {
    case 'mysql': return k.raw('DATE_ADD(??, INTERVAL ? SECOND)', [column, seconds]);
    case 'postgres': return k.raw('(?? + CAST(? AS integer) * INTERVAL \'1 second\')', [column, seconds]);
    // datetime() returns 'YYYY-MM-DD HH:MM:SS', the format SQLite time columns are stored in.
    case 'sqlite': return k.raw("datetime(??, '+' || ? || ' seconds')", [column, seconds]);
    case 'oracle': return k.raw("(?? + NUMTODSINTERVAL(?, 'SECOND'))", [column, seconds]);
    default: throw new Error(`plusSeconds: ${dialect} renders its own SQL`);
  }
}
