// `validate --connect` for table destinations: the table (name or database.name /
// schema.name, on the destination's own connection) exists and has every column the run
// writes: the lead fields, the person key (named like audience.key) and the run columns. The
// same rules as the run's own check at open (src/destinations/table-columns.ts): names match
// in any case.
import { dialectOf } from '../config/connection-schema.ts';
import type { Connections } from '../config/load-connections.ts';
import type { Job } from '../config/load-job.ts';
import { issueAt, type YamlSource } from '../config/yaml-source.ts';
import { RUN_COLUMNS } from '../destinations/table-columns.ts';
import type { SpecIssue } from '../errors.ts';
import { openWarehouse } from '../warehouses/open-warehouse.ts';
import { INTROSPECTED, tableColumns } from '../warehouses/table-columns.ts';

/**
 * One issue per table destination whose table is missing or lacks columns, at its `table` key.
 * Connections whose catalogue is not read are added to `skipped`.
 * Throws RunError when a connection fails.
 */
export async function checkDestinationTables(
  job: Job,
  connections: Connections,
  source: YamlSource,
  skipped: string[],
): Promise<SpecIssue[]> {
  const issues: SpecIssue[] = [];
  const fields = job.lead.fields.map((f) => f.name);
  const key = job.audience.key;
  const wanted = [...fields, ...(fields.includes(key) ? [] : [key]), ...RUN_COLUMNS];
  for (const [i, d] of job.destinations.entries()) {
    if (d.type !== 'table') continue;
    const spec = connections.byName.get(d.connection);
    if (!spec) continue; // reported by validate already
    if (!(INTROSPECTED as readonly string[]).includes(dialectOf(spec))) {
      if (!skipped.includes(d.connection)) skipped.push(d.connection);
      continue;
    }
    const warehouse = await openWarehouse(d.connection, spec);
    try {
      const columns = await tableColumns(warehouse, d.table);
      const at = ['destinations', i, 'table'];
      if (columns === undefined) {
        issues.push(issueAt(source, at, `table "${d.table}" does not exist on connection ${d.connection}`));
        continue;
      }
      const present = new Set(columns.map((c) => c.toLowerCase()));
      const missing = wanted.filter((c) => !present.has(c.toLowerCase()));
      if (missing.length > 0)
        issues.push(
          issueAt(
            source,
            at,
            `table "${d.table}" on connection ${d.connection} has no column${missing.length > 1 ? 's' : ''} ${missing.join(', ')} (the table destination writes the lead fields, the person key ${key}, and ${RUN_COLUMNS.join(', ')})`,
          ),
        );
    } finally {
      await warehouse.close();
    }
  }
  return issues;
}
