// What the stream still decides after the warehouse: people converted on another connection,
// people already delivered (the ledger), unreachable leads (require), and the limit.
import type { Lead } from '../destinations/destination.ts';
import type { Row } from '../warehouses/warehouse.ts';

export interface FilterCounts {
  rows: number;
  converted_elsewhere: number;
  delivered: number;
  unreachable: number;
  /** audience.follow_up only: people the first-touch job did not deliver (or who did not (not) respond). */
  follow_up?: number;
  /** true when the stream stopped at lead.limit */
  limit_reached: boolean;
}

export interface LeadFilter {
  counts: FilterCounts;
  /** Leads of this batch that pass; `done` once the limit is reached. */
  take(rows: Row[]): { leads: Lead[]; done: boolean };
}

export interface LeadFilterOptions {
  fieldCount: number;
  /**
   * Rows as the query selected them, the key being the lead field at this index (SqlQuery.keyAt),
   * instead of key first: a row with no reach columns then becomes the lead's values as it is,
   * not copied twice (key-first.ts's unshift, then a slice).
   */
  keyAt?: number;
  requireIndexes: number[];
  limit?: number;
  convertedKeys?: ReadonlySet<string>;
  deliveredKeys?: ReadonlySet<string>;
  /** audience.follow_up: keeps the people it matches and writes their delivery's time and channel into the fields at these indexes. */
  followUp?: {
    match(key: string): [string, string | null] | undefined;
    deliveredAtIndex: number;
    channelIndex: number;
  };
}

const isEmpty = (v: unknown) => v === null || v === undefined || (typeof v === 'string' && v.trim() === '');

// A loop, not indexes.some((i) => ...): that closure was allocated for every row (~90 MB over
// a 900k-row run, sampling heap profiler), even for a job without lead.require.
function anyEmpty(values: readonly unknown[], indexes: readonly number[]): boolean {
  for (let i = 0; i < indexes.length; i++) if (isEmpty(values[indexes[i]])) return true;
  return false;
}

export function leadFilter(options: LeadFilterOptions): LeadFilter {
  const counts: FilterCounts = { rows: 0, converted_elsewhere: 0, delivered: 0, unreachable: 0, limit_reached: false };
  if (options.followUp) counts.follow_up = 0;
  let taken = 0;
  return {
    counts,
    take(rows) {
      const leads: Lead[] = [];
      const keyAt = options.keyAt;
      // Where the lead fields start in a row: after the key, unless the key is one of them.
      const first = keyAt === undefined ? 1 : 0;
      const end = first + options.fieldCount;
      for (const row of rows) {
        counts.rows++;
        const keyValue = keyAt === undefined ? row[0] : row[keyAt];
        const key = String(keyValue);
        const followUp = options.followUp?.match(key);
        if (options.followUp && !followUp) {
          counts.follow_up!++;
          continue;
        }
        if (options.convertedKeys?.has(key)) {
          counts.converted_elsewhere++;
          continue;
        }
        if (options.deliveredKeys?.has(key)) {
          counts.delivered++;
          continue;
        }
        const values = first === 0 && row.length === end ? row : row.slice(first, end);
        if (followUp) {
          const { deliveredAtIndex, channelIndex } = options.followUp!;
          if (deliveredAtIndex >= 0) values[deliveredAtIndex] = followUp[0];
          if (channelIndex >= 0) values[channelIndex] = followUp[1];
        }
        if (anyEmpty(values, options.requireIndexes)) {
          counts.unreachable++;
          continue;
        }
        if (options.limit !== undefined && taken >= options.limit) {
          counts.limit_reached = true;
          return { leads, done: true };
        }
        taken++;
        // The reach step's columns (addresses, opt-out flags) follow the fields.
        if (row.length > end) leads.push({ key, keyValue, values, extra: row.slice(end) } as Lead);
        else leads.push({ key, keyValue, values });
      }
      const done = options.limit !== undefined && taken >= options.limit;
      if (done) counts.limit_reached = true;
      return { leads, done };
    },
  };
}
