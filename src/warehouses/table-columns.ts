// The columns a table really has, read from the warehouse's catalogue: PRAGMA table_info on
// SQLite, information_schema.columns on MySQL/MariaDB and PostgreSQL. What `validate --connect`
// compares a job's column names with.
import type { Warehouse } from './warehouse.ts';

/** Dialects whose catalogue is read; Hive and Oracle are not checked (no test server here). */
export const INTROSPECTED = ['sqlite', 'mysql', 'postgres'] as const;

/**
 * The column names of `table` (name or schema.name), or undefined when there is no such
 * table. Names compare as the engine resolves the job's quoted identifiers: exactly on
 * PostgreSQL and SQLite (SQLite and MySQL column names are case-insensitive: lower-cased).
 */
export async function tableColumns(warehouse: Warehouse, table: string): Promise<string[] | undefined> {
  const [schema, name] = table.includes('.') ? table.split('.') : [undefined, table];
  const rows = await warehouse.all(catalogueQuery(warehouse.dialect, schema, name));
  return rows.length === 0 ? undefined : rows.map((r) => String(r[0]));
}

function catalogueQuery(dialect: string, schema: string | undefined, name: string) {
  switch (dialect) {
    case 'sqlite':
      return { sql: 'SELECT name FROM pragma_table_info(?, ?)', bindings: [name, schema ?? 'main'] };
    case 'mysql':
      return {
        sql: 'SELECT column_name FROM information_schema.columns WHERE table_schema = COALESCE(?, DATABASE()) AND table_name = ? ORDER BY ordinal_position',
        bindings: [schema ?? null, name],
      };
    case 'postgres':
      // Unqualified names resolve through the search_path, as in the query itself.
      return schema === undefined
        ? {
            sql: 'SELECT attname FROM pg_attribute WHERE attrelid = to_regclass(quote_ident($1)) AND attnum > 0 AND NOT attisdropped ORDER BY attnum',
            bindings: [name],
          }
        : {
            sql: "SELECT attname FROM pg_attribute WHERE attrelid = to_regclass(quote_ident($1) || '.' || quote_ident($2)) AND attnum > 0 AND NOT attisdropped ORDER BY attnum",
            bindings: [schema, name],
          };
    default:
      throw new Error(`no catalogue query for ${dialect}`);
  }
}
