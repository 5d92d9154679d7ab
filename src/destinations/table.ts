// Table destination: leads written into an existing CRM table, one transaction per batch, so a
// batch is acknowledged (and recorded in the ledger) only once it committed.
//
// Columns: every lead field, the person key in a column named like audience.key (the same
// column when the lead fields include the key, as they usually do), and job, run_id, channel,
// delivered_at (UTC). `upsert` updates the row with the same (job, person key): it needs a
// unique index on exactly those two columns, checked before any row is written. `insert`
// appends; after a crash, the batch in flight may be written twice (use upsert to avoid it).
import type { Knex } from 'knex';
import { RunError } from '../errors.ts';
import type { Connections } from '../config/load-connections.ts';
import type { TableDestinationSpec } from '../config/job-schema.ts';
import {
  DestinationStoppedError,
  type Destination,
  type DestinationContext,
  type DestinationSummary,
  type Lead,
  type WriteResult,
} from './destination.ts';
import { tableKnex, type TableDialect } from './table-connection.ts';

export const RUN_COLUMNS = ['job', 'run_id', 'channel', 'delivered_at'] as const;

// SQLite allows 500 selects in a compound insert and 32766 bound values in a statement.
const MAX_VALUES_PER_STATEMENT = 30_000;
const MAX_ROWS_PER_STATEMENT = 500;

export function tableDestination(
  spec: TableDestinationSpec,
  connections: Connections,
): Destination & { target: string } {
  const target = `${spec.connection}.${spec.table}`;
  let knex: Knex | undefined;
  let dialect: TableDialect;
  let ctx: DestinationContext;
  /** The real column names (matched case-insensitively), in write order. */
  let columns: string[] = [];
  let keyColumn = '';
  let keyIndex = -1;
  let current: Lead[] = [];
  let delivered = 0;
  let failed = 0;

  const fail = (err: unknown) => new RunError(`table ${target}: ${firstLine(err)}`, { cause: err });

  function row(lead: Lead, deliveredAt: string): unknown[] {
    const values = lead.values.map(cell);
    if (keyIndex < 0) values.push(lead.key);
    else values[keyIndex] = lead.key;
    values.push(ctx.job, ctx.runId, ctx.channel ?? null, deliveredAt);
    return values;
  }

  function insert(db: Knex | Knex.Transaction, rows: unknown[][]) {
    const objects = rows.map((r) => Object.fromEntries(columns.map((c, i) => [c, r[i]])));
    const q = db(spec.table).insert(objects);
    if (spec.mode === 'upsert') {
      const jobColumn = columns[columns.length - RUN_COLUMNS.length];
      return q.onConflict([jobColumn, keyColumn]).merge(columns.filter((c) => c !== jobColumn && c !== keyColumn));
    }
    return q;
  }

  async function commit(leads: Lead[]): Promise<WriteResult> {
    const deliveredAt = utcTimestamp(dialect);
    const rows = leads.map((lead) => row(lead, deliveredAt));
    const perStatement = Math.max(
      1,
      Math.min(MAX_ROWS_PER_STATEMENT, Math.floor(MAX_VALUES_PER_STATEMENT / columns.length)),
    );
    try {
      await knex!.transaction(async (trx) => {
        for (let i = 0; i < rows.length; i += perStatement) await insert(trx, rows.slice(i, i + perStatement));
      });
      delivered += leads.length;
      return { delivered: leads, failed: [] };
    } catch (err) {
      if (!isDataError(err)) throw err;
    }
    // A value the table refuses (too long, wrong type, a constraint): find which leads, one by
    // one, so that the rest of the batch is still delivered.
    const result: WriteResult = { delivered: [], failed: [] };
    for (let i = 0; i < leads.length; i++) {
      try {
        await insert(knex!, [rows[i]]);
        result.delivered.push(leads[i]);
      } catch (err) {
        if (!isDataError(err)) throw new DestinationStoppedError(fail(err).message, result);
        result.failed.push({ lead: leads[i], error: firstLine(err) });
      }
    }
    delivered += result.delivered.length;
    failed += result.failed.length;
    return result;
  }

  async function commitOrStop(leads: Lead[]): Promise<WriteResult> {
    try {
      return await commit(leads);
    } catch (err) {
      if (err instanceof DestinationStoppedError) throw err;
      throw fail(err);
    }
  }

  return {
    type: 'table',
    target,
    deliversOnClose: false,
    batchSize: spec.batch_size,
    async open(context) {
      ctx = context;
      const connection = connections.byName.get(spec.connection);
      if (!connection) throw new RunError(`table ${target}: unknown connection ${spec.connection}`);
      ({ knex, dialect } = tableKnex(spec.connection, connection));
      try {
        await checkTable(context);
      } catch (err) {
        await knex.destroy().catch(() => {});
        knex = undefined;
        throw err instanceof RunError ? err : fail(err);
      }
    },
    async write(batch) {
      const out: WriteResult = { delivered: [], failed: [] };
      for (const lead of batch) {
        current.push(lead);
        if (current.length === spec.batch_size) {
          const full = current;
          current = [];
          const r = await commitOrStop(full);
          out.delivered.push(...r.delivered);
          out.failed.push(...r.failed);
        }
      }
      return out;
    },
    async flush() {
      const rest = current;
      current = [];
      return rest.length > 0 ? commitOrStop(rest) : { delivered: [], failed: [] };
    },
    async close(): Promise<DestinationSummary> {
      await knex?.destroy().catch(() => {});
      return { type: 'table', target, delivered, failed };
    },
  };

  // Every column must exist before the first row is written; all missing ones named at once.
  async function checkTable(context: DestinationContext): Promise<void> {
    const [schema, name] = spec.table.includes('.') ? spec.table.split('.', 2) : [undefined, spec.table];
    const info = schema ? await knex!(name).withSchema(schema).columnInfo() : await knex!(name).columnInfo();
    const actual = new Map(Object.keys(info).map((c) => [c.toLowerCase(), c]));
    if (actual.size === 0)
      throw new RunError(
        `table ${target}: table ${spec.table} does not exist on connection ${spec.connection} (create it first: the lead fields, ${context.keyName ?? 'the person key'}, ${RUN_COLUMNS.join(', ')})`,
      );
    const keyName = context.keyName ?? 'person_key';
    keyIndex = context.fields.indexOf(keyName);
    const wanted = [...context.fields, ...(keyIndex < 0 ? [keyName] : []), ...RUN_COLUMNS];
    const missing = wanted.filter((c) => !actual.has(c.toLowerCase()));
    if (missing.length > 0)
      throw new RunError(
        `table ${target}: missing column${missing.length > 1 ? 's' : ''} ${missing.join(', ')} (the table needs the lead fields, the person key ${keyName}, and ${RUN_COLUMNS.join(', ')}); nothing was written`,
      );
    columns = wanted.map((c) => actual.get(c.toLowerCase())!);
    keyColumn = actual.get(keyName.toLowerCase())!;
    if (spec.mode === 'upsert') await checkUpsertKey(actual.get('job')!, keyColumn);
  }

  async function checkUpsertKey(jobColumn: string, key: string): Promise<void> {
    const problem = `upsert needs a unique index (or primary key) on exactly (${jobColumn}, ${key}) in ${spec.table}`;
    if (dialect === 'mysql') {
      const [rows] = (await knex!.raw('show index from ??', [spec.table])) as [
        { Key_name: string; Non_unique: number | string; Column_name: string }[],
      ];
      const unique = new Map<string, Set<string>>();
      for (const r of rows)
        if (Number(r.Non_unique) === 0)
          unique.set(r.Key_name, (unique.get(r.Key_name) ?? new Set()).add(r.Column_name.toLowerCase()));
      const ok = [...unique.values()].some(
        (cols) => cols.size === 2 && cols.has(jobColumn.toLowerCase()) && cols.has(key.toLowerCase()),
      );
      if (!ok) throw new RunError(`table ${target}: ${problem}`);
      return;
    }
    // PostgreSQL and SQLite check an ON CONFLICT target when the statement is prepared: an
    // insert of no rows proves the index exists without writing anything.
    try {
      await knex!.raw('insert into ?? (??, ??) select null, null where 1 = 0 on conflict (??, ??) do nothing', [
        spec.table,
        jobColumn,
        key,
        jobColumn,
        key,
      ]);
    } catch (err) {
      throw new RunError(`table ${target}: ${problem} (${firstLine(err)})`);
    }
  }
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

// Errors about a value or a constraint (retry row by row); anything else stops the run.
function isDataError(err: unknown): boolean {
  const e = err as { code?: string; errno?: number };
  if (typeof e.code === 'string' && /^2[23][0-9A-Z]{3}$/.test(e.code)) return true; // PostgreSQL classes 22, 23
  if (typeof e.code === 'string' && /^SQLITE_(CONSTRAINT|MISMATCH|TOOBIG|RANGE)/.test(e.code)) return true;
  return [1048, 1062, 1264, 1265, 1292, 1366, 1406, 1451, 1452, 3819, 4025].includes(Number(e.errno));
}

function firstLine(err: unknown): string {
  const e = err as { message?: string; code?: string };
  const message = (e?.message ?? String(err)).split('\n')[0].replace(/^insert into .*? - /, '');
  return e?.code && !message.includes(e.code) ? `${message} (${e.code})` : message;
}
