// The table destination's columns, checked before any row is written: every lead field, the
// person key (named like audience.key), and the run columns must exist (all missing ones named
// at once); upsert needs a unique index on exactly (job, person key).
import type { Knex } from 'knex';
import type { TableDestinationSpec } from '../config/job-schema.ts';
import { RunError } from '../errors.ts';
import type { DestinationContext } from './destination.ts';
import type { TableDialect } from './table-connection.ts';

export const RUN_COLUMNS = ['job', 'run_id', 'channel', 'delivered_at'] as const;

export interface TableColumns {
  /** The table's real column names (matched case-insensitively), in write order: fields, key (unless a field), RUN_COLUMNS. */
  columns: string[];
  /** The person key's column. */
  keyColumn: string;
  /** Where the key is among the lead fields, or -1 when it is a column of its own. */
  keyIndex: number;
}

/**
 * Reads the table's columns and checks them against the leads.
 * @throws RunError naming the missing table, the missing columns, or the missing upsert index.
 */
export async function tableColumns(
  knex: Knex,
  dialect: TableDialect,
  spec: Pick<TableDestinationSpec, 'table' | 'connection' | 'mode'>,
  context: Pick<DestinationContext, 'fields' | 'keyName'>,
): Promise<TableColumns> {
  const target = `${spec.connection}.${spec.table}`;
  const [schema, name] = spec.table.includes('.') ? spec.table.split('.', 2) : [undefined, spec.table];
  const actual = new Map((await columnNames(knex, dialect, schema, name)).map((c) => [c.toLowerCase(), c]));
  if (actual.size === 0)
    throw new RunError(
      `table ${target}: table ${spec.table} does not exist on connection ${spec.connection} (create it first: the lead fields, ${context.keyName ?? 'the person key'}, ${RUN_COLUMNS.join(', ')})`,
    );
  const keyName = context.keyName ?? 'person_key';
  const keyIndex = context.fields.indexOf(keyName);
  const wanted = [...context.fields, ...(keyIndex < 0 ? [keyName] : []), ...RUN_COLUMNS];
  const missing = wanted.filter((c) => !actual.has(c.toLowerCase()));
  if (missing.length > 0)
    throw new RunError(
      `table ${target}: missing column${missing.length > 1 ? 's' : ''} ${missing.join(', ')} (the table needs the lead fields, the person key ${keyName}, and ${RUN_COLUMNS.join(', ')}); nothing was written`,
    );
  const keyColumn = actual.get(keyName.toLowerCase())!;
  if (spec.mode === 'upsert') {
    const problem = await upsertKeyProblem(knex, dialect, spec.table, actual.get('job')!, keyColumn);
    if (problem) throw new RunError(`table ${target}: ${problem}`);
  }
  return { columns: wanted.map((c) => actual.get(c.toLowerCase())!), keyColumn, keyIndex };
}

// The table's column names, in the named database/schema or the connection's own. (knex's
// columnInfo() on MySQL always reads the connection's default database: `crm.crm_leads` on a
// connection to another database was reported missing, issue 9.4.)
async function columnNames(
  knex: Knex,
  dialect: TableDialect,
  schema: string | undefined,
  name: string,
): Promise<string[]> {
  if (dialect === 'mysql') {
    const [rows] = (await knex.raw(
      'select column_name as name from information_schema.columns where table_schema = coalesce(?, database()) and table_name = ? order by ordinal_position',
      [schema ?? null, name],
    )) as [{ name: string }[]];
    return rows.map((r) => r.name);
  }
  return Object.keys(schema ? await knex(name).withSchema(schema).columnInfo() : await knex(name).columnInfo());
}

// Why upsert cannot run on this table, or undefined when the unique index is there.
async function upsertKeyProblem(
  knex: Knex,
  dialect: TableDialect,
  table: string,
  jobColumn: string,
  key: string,
): Promise<string | undefined> {
  const problem = `upsert needs a unique index (or primary key) on exactly (${jobColumn}, ${key}) in ${table}`;
  if (dialect === 'mysql') {
    const [rows] = (await knex.raw('show index from ??', [table])) as [
      { Key_name: string; Non_unique: number | string; Column_name: string }[],
    ];
    const unique = new Map<string, Set<string>>();
    for (const r of rows)
      if (Number(r.Non_unique) === 0)
        unique.set(r.Key_name, (unique.get(r.Key_name) ?? new Set()).add(r.Column_name.toLowerCase()));
    const ok = [...unique.values()].some(
      (cols) => cols.size === 2 && cols.has(jobColumn.toLowerCase()) && cols.has(key.toLowerCase()),
    );
    return ok ? undefined : problem;
  }
  // PostgreSQL and SQLite check an ON CONFLICT target when the statement is prepared: an
  // insert of no rows proves the index exists without writing anything.
  try {
    await knex.raw('insert into ?? (??, ??) select null, null where 1 = 0 on conflict (??, ??) do nothing', [
      table,
      jobColumn,
      key,
      jobColumn,
      key,
    ]);
    return undefined;
  } catch (err) {
    return `${problem} (${firstLine(err)})`;
  }
}

/** A driver error's first line, without knex's echo of the statement, with its code. */
export function firstLine(err: unknown): string {
  const e = err as { message?: string; code?: string };
  const message = (e?.message ?? String(err)).split('\n')[0].replace(/^insert into .*? - /, '');
  return e?.code && !message.includes(e.code) ? `${message} (${e.code})` : message;
}
