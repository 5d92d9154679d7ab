// `validate --connect`: every table and column a job names (table-refs.ts), and each table
// destination's table (check-destination-tables.ts), looked up in the
// real catalogue of its connection. Each one missing is a SpecIssue at the key that names it
// (file:line:column, audience.where.citty), never at an internal alias of the compiled SQL.
import { isSeq } from 'yaml';
import { dialectOf } from '../config/connection-schema.ts';
import type { Connections } from '../config/load-connections.ts';
import type { Job } from '../config/load-job.ts';
import { suggest } from '../config/suggest.ts';
import { tableRefs, type TableRef } from '../config/table-refs.ts';
import { issueAt, readYamlSource } from '../config/yaml-source.ts';
import { SpecError, type SpecIssue } from '../errors.ts';
import { openWarehouse } from '../warehouses/open-warehouse.ts';
import { INTROSPECTED, tableColumns } from '../warehouses/table-columns.ts';
import { checkDestinationTables } from './check-destination-tables.ts';

export interface TableCheck {
  /** Each missing table or column, at its position in the job file. */
  issues: SpecIssue[];
  /** Connections whose catalogue is not read (Hive, Oracle): their names were not checked. */
  skipped: string[];
}

/**
 * Connects to each connection the job reads from and checks its tables and columns.
 * Throws RunError when a connection fails (exit 1): a job is not invalid because a server is down.
 */
export async function checkJobTables(job: Job, connections: Connections): Promise<TableCheck> {
  const source = readYamlSource(job.file);
  const refs = tableRefs(job, isSeq(source.doc.getIn(['lead', 'fields'])));
  const byConnection = new Map<string, TableRef[]>();
  for (const ref of refs) byConnection.set(ref.connection, [...(byConnection.get(ref.connection) ?? []), ref]);
  const issues: SpecIssue[] = [];
  const skipped: string[] = [];
  for (const [name, list] of byConnection) {
    const spec = connections.byName.get(name)!;
    const dialect = dialectOf(spec);
    if (!(INTROSPECTED as readonly string[]).includes(dialect)) {
      skipped.push(name);
      continue;
    }
    const warehouse = await openWarehouse(name, spec);
    try {
      const tables = new Map<string, string[] | undefined>();
      for (const ref of list) {
        if (!tables.has(ref.table)) tables.set(ref.table, await tableColumns(warehouse, ref.table));
        const columns = tables.get(ref.table);
        if (columns === undefined) {
          issues.push(issueAt(source, ref.path, `table "${ref.table}" does not exist on connection ${name}`));
          continue;
        }
        // MySQL and SQLite match column names in any case; PostgreSQL as quoted: exactly.
        const norm = (c: string) => (dialect === 'postgres' ? c : c.toLowerCase());
        const present = new Set(columns.map(norm));
        for (const c of ref.columns)
          if (!present.has(norm(c.column)))
            issues.push(
              issueAt(
                source,
                c.path,
                `column "${c.column}" does not exist in ${ref.table} on connection ${name}${suggest(c.column, columns)}`,
                c.atKey,
              ),
            );
      }
    } finally {
      await warehouse.close();
    }
  }
  issues.push(...(await checkDestinationTables(job, connections, source, skipped)));
  return { issues: unique(issues), skipped };
}

// One column can be named twice at one key (a where column with two operators): once is enough.
function unique(issues: SpecIssue[]): SpecIssue[] {
  const seen = new Set<string>();
  return issues.filter((i) => {
    const id = `${i.line}:${i.column}:${i.key}:${i.message}`;
    return !seen.has(id) && Boolean(seen.add(id));
  });
}

// MySQL/MariaDB, SQLite, PostgreSQL. A missing table stays a run failure (exit 1: it may be
// being rebuilt); the warehouses already name it as the job writes it.
const UNKNOWN_COLUMN = /unknown column|no such column|column .* does not exist/i;

/**
 * A warehouse error that names an unknown column (a job never validated with --connect, or a
 * table changed since): the same check, so that the run reports the job key and its position
 * instead of the SQL's alias (a.citty), as a SpecError (exit 2, like `validate --connect`).
 * Any other error, or when the check finds nothing, is returned unchanged.
 */
export async function explainUnknownNames(job: Job, connections: Connections, err: unknown): Promise<unknown> {
  const text = [err, (err as { cause?: unknown })?.cause].map((e) => (e as Error)?.message ?? '').join(' ');
  if (!UNKNOWN_COLUMN.test(text)) return err;
  try {
    const { issues } = await checkJobTables(job, connections);
    return issues.length === 0 ? err : new SpecError(issues);
  } catch {
    return err;
  }
}
