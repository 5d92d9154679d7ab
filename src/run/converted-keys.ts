// Conversions kept on another connection (e.g. orders in the CRM database) cannot join the
// warehouse query: that side's keys in the window are streamed into a Set that filters the
// lead stream. Memory: see README (measured per million keys in `npm run bench`).
import { count } from '../plural.ts';
import type { Plan } from '../plan/plan.ts';
import { queryBuilder } from '../sql/knex-client.ts';
import { naiveTime } from '../sql/time-arithmetic.ts';
import { applyWhere } from '../sql/where.ts';
import { dialectOf } from '../config/connection-schema.ts';
import type { Connections } from '../config/load-connections.ts';
import { openWarehouse } from '../warehouses/open-warehouse.ts';
import type { Reporter } from './reporter.ts';

export async function loadConvertedKeys(
  plan: Plan,
  connections: Connections,
  reporter: Reporter,
): Promise<Set<string> | undefined> {
  const c = plan.job.exclude.converted;
  if (!c || plan.convertedInWarehouse) return undefined;
  const spec = connections.byName.get(c.source!)!;
  const dialect = dialectOf(spec);
  // HiveQL is compiled by knex's MySQL compiler with the values written in (src/sql/hive).
  const k = queryBuilder(dialect);
  const window = plan.convertedWindow!;
  const qb = k(`${c.table} as c`)
    .distinct(`c.${c.key ?? plan.job.audience.key}`)
    .where(`c.${c.time}`, '>=', naiveTime(k, dialect, window.from))
    .where(`c.${c.time}`, '<', naiveTime(k, dialect, window.to));
  applyWhere(qb, 'c', c.where);
  const { sql, bindings } =
    dialect === 'hive'
      ? { sql: (await import('../sql/hive/render-hive.ts')).renderHiveQL(qb), bindings: [] }
      : qb.toSQL().toNative();
  const warehouse = await openWarehouse(c.source!, spec, { timezone: plan.at.timezone, atMs: plan.at.epochMs });
  const keys = new Set<string>();
  try {
    for await (const rows of warehouse.stream({ sql, bindings: [...bindings] }, { batchSize: 10000 }))
      for (const row of rows) keys.add(String(row[0]));
  } finally {
    await warehouse.close();
  }
  reporter.info(`${plan.job.name}: ${count(keys.size, 'person')} converted on ${c.source}`, {
    job: plan.job.name,
    converted_keys: keys.size,
  });
  return keys;
}
