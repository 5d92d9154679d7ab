// Partition pruning: a table that declares `partition: { column, format }` gets a range
// predicate on that column covering the window, so the engine reads only those partitions.
import type { Knex } from 'knex';
import { DateTime } from 'luxon';
import { NAIVE_FORMAT } from '../plan/time.ts';
import type { Window } from '../plan/plan.ts';

export interface PartitionSpec {
  column: string;
  format: string;
}

/** Partition values (inclusive) covering [from, to]. */
export function partitionRange(partition: PartitionSpec, window: Window): [string, string] {
  const fmt = (local: string) => DateTime.fromFormat(local, NAIVE_FORMAT, { zone: 'UTC' }).toFormat(partition.format);
  return [fmt(window.from), fmt(window.to)];
}

export function applyPartition(
  qb: Knex.QueryBuilder,
  alias: string,
  partition: PartitionSpec | undefined,
  window: Window,
): void {
  if (!partition) return;
  const [low, high] = partitionRange(partition, window);
  qb.where(`${alias}.${partition.column}`, '>=', low).where(`${alias}.${partition.column}`, '<=', high);
}
