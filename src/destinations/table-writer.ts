// The table writer: one batch of leads in one transaction, so a batch is acknowledged only
// once it committed. A value the table refuses (too long, wrong type, a constraint) makes the
// writer retry that batch lead by lead, so that the rest of the batch is still delivered.
import type { Knex } from 'knex';
import type { TableDestinationSpec } from '../config/job-schema.ts';
import { RunError } from '../errors.ts';
import { DestinationStoppedError, type DestinationContext, type Lead, type WriteResult } from './destination.ts';
import { firstLine, RUN_COLUMNS, type TableColumns } from './table-columns.ts';
import type { TableDialect } from './table-connection.ts';

// SQLite allows 500 selects in a compound insert and 32766 bound values in a statement.
const MAX_VALUES_PER_STATEMENT = 30_000;
const MAX_ROWS_PER_STATEMENT = 500;

export interface TableWriter {
  /**
   * Writes one batch. Returns the leads committed and those the table refused (each with its
   * error line). @throws DestinationStoppedError (with what was committed) or RunError when the
   * database fails otherwise (connection lost, table dropped).
   */
  commit(leads: Lead[]): Promise<WriteResult>;
}

export interface TableWriterOptions extends TableColumns {
  knex: Knex;
  dialect: TableDialect;
  spec: Pick<TableDestinationSpec, 'table' | 'connection' | 'mode'>;
  ctx: Pick<DestinationContext, 'job' | 'runId' | 'channel'>;
}

export function tableWriter(o: TableWriterOptions): TableWriter {
  const { knex, columns, keyColumn, keyIndex, ctx } = o;
  const target = `${o.spec.connection}.${o.spec.table}`;
  const fail = (err: unknown) => new RunError(`table ${target}: ${firstLine(err)}`, { cause: err });
  const perStatement = Math.max(
    1,
    Math.min(MAX_ROWS_PER_STATEMENT, Math.floor(MAX_VALUES_PER_STATEMENT / columns.length)),
  );

  function row(lead: Lead, deliveredAt: string): unknown[] {
    const values = lead.values.map(cell);
    if (keyIndex < 0) values.push(lead.key);
    else values[keyIndex] = lead.key;
    values.push(ctx.job, ctx.runId, lead.channel ?? ctx.channel ?? null, deliveredAt);
    return values;
  }

  function insert(db: Knex | Knex.Transaction, rows: unknown[][]) {
    const objects = rows.map((r) => Object.fromEntries(columns.map((c, i) => [c, r[i]])));
    const q = db(o.spec.table).insert(objects);
    if (o.spec.mode !== 'upsert') return q;
    const jobColumn = columns[columns.length - RUN_COLUMNS.length];
    return q.onConflict([jobColumn, keyColumn]).merge(columns.filter((c) => c !== jobColumn && c !== keyColumn));
  }

  // Lead by lead, after the batch's transaction failed on a value: refused leads fail alone.
  async function oneByOne(leads: Lead[], rows: unknown[][]): Promise<WriteResult> {
    const result: WriteResult = { delivered: [], failed: [] };
    for (let i = 0; i < leads.length; i++) {
      try {
        await insert(knex, [rows[i]]);
        result.delivered.push(leads[i]);
      } catch (err) {
        if (!isDataError(err)) throw new DestinationStoppedError(fail(err).message, result);
        result.failed.push({ lead: leads[i], error: firstLine(err) });
      }
    }
    return result;
  }

  async function commit(leads: Lead[]): Promise<WriteResult> {
    const deliveredAt = utcTimestamp(o.dialect);
    const rows = leads.map((lead) => row(lead, deliveredAt));
    try {
      await knex.transaction(async (trx) => {
        for (let i = 0; i < rows.length; i += perStatement) await insert(trx, rows.slice(i, i + perStatement));
      });
      return { delivered: leads, failed: [] };
    } catch (err) {
      if (!isDataError(err)) throw err;
    }
    return oneByOne(leads, rows);
  }

  return {
    async commit(leads) {
      try {
        return await commit(leads);
      } catch (err) {
        if (err instanceof DestinationStoppedError) throw err;
        throw fail(err);
      }
    },
  };
}

function cell(value: unknown): unknown {
  if (value === undefined) return null;
  if (typeof value === 'bigint') return value.toString();
  if (value !== null && typeof value === 'object' && !(value instanceof Date) && !Buffer.isBuffer(value))
    return JSON.stringify(value);
  return value;
}

/** UTC, whole seconds: naive 'YYYY-MM-DD HH:MM:SS' suits MySQL DATETIME and SQLite; PostgreSQL gets the offset. */
function utcTimestamp(dialect: TableDialect): string {
  const naive = new Date().toISOString().slice(0, 19).replace('T', ' ');
  return dialect === 'postgres' ? `${naive}+00` : naive;
}

/** Errors about a value or a constraint (retry lead by lead); anything else stops the run. */
export function isDataError(err: unknown): boolean {
  const e = err as { code?: string; errno?: number };
  if (typeof e.code === 'string' && /^2[23][0-9A-Z]{3}$/.test(e.code)) return true; // PostgreSQL classes 22, 23
  if (typeof e.code === 'string' && /^SQLITE_(CONSTRAINT|MISMATCH|TOOBIG|RANGE)/.test(e.code)) return true;
  // MySQL/MariaDB: null in NOT NULL, duplicate, out of range, truncated, bad value, too long, FK, CHECK.
  return [1048, 1062, 1264, 1265, 1292, 1366, 1406, 1451, 1452, 3819, 4025].includes(Number(e.errno));
}
