// `crm-leads demo load`: the embedded demo warehouse (examples/demo.db) copied into a MySQL/
// MariaDB, PostgreSQL or SQLite connection, row for row, so that the quick start gives the
// same leads there. Idempotent: each demo table is dropped and re-created, no other table is
// touched. Reports progress through a callback; prints nothing.
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Knex } from 'knex';
import type { ConnectionSpec } from '../config/connection-schema.ts';
import { tableKnex, type TableDialect } from '../destinations/table-connection.ts';
import { RunError, SpecError } from '../errors.ts';
import { DEMO_TABLES, type DemoColumnType, type DemoTable } from './demo-tables.ts';

export interface DemoProgress {
  table: string;
  rows: number;
  total: number;
}

/** Rows per INSERT: well under MySQL's max_allowed_packet and PostgreSQL's 65,535 parameters. */
const BATCH = 500;

/** examples/demo.db of this installation (same depth from src/ and dist/). */
export function demoDatabasePath(): string {
  return fileURLToPath(new URL('../../examples/demo.db', import.meta.url));
}

/**
 * Copies every demo table into `connection`. Throws SpecError for a connection type it cannot
 * load (Hive, Oracle), RunError for a database failure or a missing examples/demo.db.
 */
export async function loadDemo(
  name: string,
  spec: ConnectionSpec,
  onProgress: (p: DemoProgress) => void = () => {},
  demoPath = demoDatabasePath(),
): Promise<{ tables: number; rows: number }> {
  if (!['sqlite', 'mysql', 'mariadb', 'postgres', 'postgresql'].includes(spec.type))
    throw new SpecError([
      { file: name, message: `demo load writes to SQLite, MySQL/MariaDB or PostgreSQL, not ${spec.type}` },
    ]);
  if (!existsSync(demoPath)) throw new RunError(`${demoPath} is missing: build it with npm run build-demo`);
  if (spec.type === 'sqlite' && spec.path !== ':memory:' && !existsSync(spec.path)) {
    mkdirSync(dirname(spec.path), { recursive: true });
    writeFileSync(spec.path, ''); // an empty file is an empty SQLite database
  }
  const { default: Database } = await import('better-sqlite3');
  const demo = new Database(demoPath, { readonly: true });
  const { knex, dialect } = tableKnex(name, spec);
  let rows = 0;
  try {
    for (const table of DEMO_TABLES) {
      const total = (demo.prepare(`SELECT COUNT(*) AS n FROM ${table.name}`).get() as { n: number }).n;
      const columns = table.columns.map(([c]) => c);
      const select = demo.prepare(`SELECT ${columns.join(', ')} FROM ${table.name} ORDER BY rowid`);
      await knex.transaction(async (trx) => {
        await recreate(trx, table, dialect);
        let batch: Record<string, unknown>[] = [];
        let done = 0;
        for (const row of select.iterate() as Iterable<Record<string, unknown>>) {
          batch.push(row);
          if (batch.length === BATCH) {
            await trx(table.name).insert(batch);
            done += batch.length;
            batch = [];
            onProgress({ table: table.name, rows: done, total });
          }
        }
        if (batch.length) await trx(table.name).insert(batch);
        onProgress({ table: table.name, rows: total, total });
      });
      rows += total;
    }
  } catch (err) {
    if (err instanceof RunError || err instanceof SpecError) throw err;
    throw new RunError(`${name}: demo load failed: ${(err as Error).message.split('\n')[0]}`, { cause: err });
  } finally {
    demo.close();
    await knex.destroy();
  }
  return { tables: DEMO_TABLES.length, rows };
}

// Drops and creates one demo table with types that compare as the demo's do: times as
// DATETIME / timestamp without time zone (naive local times), text as utf8mb4 on MySQL.
async function recreate(trx: Knex.Transaction, table: DemoTable, dialect: TableDialect): Promise<void> {
  await trx.schema.dropTableIfExists(table.name);
  await trx.schema.createTable(table.name, (t) => {
    if (dialect === 'mysql') t.charset('utf8mb4');
    for (const [column, type] of table.columns) columnOf(t, column, type, dialect);
    if (table.primaryKey) t.primary(table.primaryKey);
    for (const index of table.indexes ?? []) t.index(index.columns, index.name);
  });
}

function columnOf(t: Knex.CreateTableBuilder, column: string, type: DemoColumnType, dialect: TableDialect): void {
  switch (type) {
    case 'id':
    case 'integer':
      t.integer(column);
      break;
    case 'real':
      t.double(column);
      break;
    case 'time':
      if (dialect === 'sqlite') t.text(column);
      else t.specificType(column, dialect === 'postgres' ? 'timestamp(0) without time zone' : 'datetime');
      break;
    default:
      // Keyed text (dimension, tag) is part of a primary key: MySQL needs a length there.
      if (dialect === 'sqlite') t.text(column);
      else t.string(column, 191);
  }
}
