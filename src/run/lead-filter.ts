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

export function leadFilter(options: LeadFilterOptions): LeadFilter {
  const counts: FilterCounts = { rows: 0, converted_elsewhere: 0, delivered: 0, unreachable: 0, limit_reached: false };
  if (options.followUp) counts.follow_up = 0;
  let taken = 0;
  return {
    counts,
    take(rows) {
      const leads: Lead[] = [];
      for (const row of rows) {
        counts.rows++;
        const key = String(row[0]);
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
        const values = row.slice(1, 1 + options.fieldCount);
        if (followUp) {
          const { deliveredAtIndex, channelIndex } = options.followUp!;
          if (deliveredAtIndex >= 0) values[deliveredAtIndex] = followUp[0];
          if (channelIndex >= 0) values[channelIndex] = followUp[1];
        }
        if (options.requireIndexes.some((i) => isEmpty(values[i]))) {
          counts.unreachable++;
          continue;
        }
        if (options.limit !== undefined && taken >= options.limit) {
          counts.limit_reached = true;
          return { leads, done: true };
        }
        taken++;
        // The reach step's columns (addresses, opt-out flags) follow the fields.
        if (row.length > 1 + options.fieldCount)
          leads.push({ key, keyValue: row[0], values, extra: row.slice(1 + options.fieldCount) } as Lead);
        else leads.push({ key, keyValue: row[0], values });
      }
      const done = options.limit !== undefined && taken >= options.limit;
      if (done) counts.limit_reached = true;
      return { leads, done };
    },
  };
}
