// consent on another connection (consent.source, e.g. the CRM's own database): its opt-outs made
// at or before the run's time are read into memory before the stream, like exclude.converted on
// another connection (src/run/converted-keys.ts), and the reach step looks people up there.
import type { Job } from '../config/load-job.ts';
import { dialectOf } from '../config/connection-schema.ts';
import type { Connections } from '../config/load-connections.ts';
import type { RunTime } from '../plan/time.ts';
import { queryBuilder } from '../sql/knex-client.ts';
import { ALL_CHANNELS } from '../sql/reach-columns.ts';
import { naiveTime } from '../sql/time-arithmetic.ts';
import { applyWhere } from '../sql/where.ts';
import { openWarehouse } from '../warehouses/open-warehouse.ts';

/** Opt-outs per person: the channels opted out of; '*' for every channel. */
export type OptOuts = Map<string, Set<string>>;

/** Whether a person opted out of a channel, by the in-memory opt-outs. */
export function optedOut(optOuts: OptOuts | undefined, key: string, channel: string | undefined): boolean {
  const channels = optOuts?.get(key);
  if (!channels) return false;
  return channels.has(ALL_CHANNELS) || (channel !== undefined && channels.has(channel));
}

/** Reads consent.source's opt-outs with time <= at (local naive time) for the job's channels. */
export async function loadOptOutsElsewhere(job: Job, at: RunTime, connections: Connections): Promise<OptOuts> {
  const consent = job.consent!;
  const spec = connections.byName.get(consent.source!)!;
  const dialect = dialectOf(spec);
  const k = queryBuilder(dialect);
  const channels = (job.lead.channel ?? []).filter((c) => c !== undefined);
  const channel = `o.${consent.channel}`;
  const qb = k(`${consent.table} as o`)
    .distinct(`o.${consent.key ?? job.audience.key}`, channel)
    .where(`o.${consent.time}`, '<=', naiveTime(k, dialect, at.local))
    .where((w) => w.whereIn(channel, [...channels, ALL_CHANNELS]).orWhereNull(channel));
  applyWhere(qb, 'o', consent.where);
  const { sql, bindings } =
    dialect === 'hive'
      ? { sql: (await import('../sql/hive/render-hive.ts')).renderHiveQL(qb), bindings: [] }
      : qb.toSQL().toNative();
  const warehouse = await openWarehouse(consent.source!, spec, { timezone: at.timezone, atMs: at.epochMs });
  const optOuts: OptOuts = new Map();
  try {
    for await (const rows of warehouse.stream({ sql, bindings: [...bindings] }, { batchSize: 10000 }))
      for (const row of rows) {
        const key = String(row[0]);
        const set = optOuts.get(key) ?? new Set<string>();
        set.add(row[1] === null || row[1] === undefined ? ALL_CHANNELS : String(row[1]));
        optOuts.set(key, set);
      }
  } finally {
    await warehouse.close();
  }
  return optOuts;
}
