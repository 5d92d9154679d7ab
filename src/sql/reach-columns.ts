// Contacts and consent in the lead query (issue 12): one address column and one opt-out flag
// per candidate channel, appended after the lead fields (see src/plan/reach-plan.ts for the
// row layout). They never narrow the audience (a person opted out of WeCom may still get an
// SMS): the reach step picks the channel per person from these columns.
//
// The long forms are a LEFT JOIN to a derived table with one row per person that pivots the
// rows by channel (MAX(CASE ...)): one pass over the bindings or opt-out table, plain SQL that
// Hive accepts too (Hive allows no subquery in the select list). When a person has several
// bound rows on one channel the greatest address is taken, so every engine picks the same one.
import type { Knex } from 'knex';
import type { Plan } from '../plan/plan.ts';
import { naiveTime } from './time-arithmetic.ts';
import { applyWhere, whereValues } from './where.ts';

/** The derived table of addresses, and of opt-outs. */
export const CONTACTS = 'rc';
export const OPT_OUTS = 'ro';
const PERSON = 'person_key';

/** Channel names as written in consent rows that opt out of every channel (NULL does too). */
export const ALL_CHANNELS = '*';

/** Joins the contacts and consent tables to the audience and returns the columns to select. */
export function applyReachColumns(
  qb: Knex.QueryBuilder,
  k: Knex,
  plan: Plan,
  audienceAlias: string,
): (string | Knex.Raw)[] {
  const reach = plan.reach;
  if (!reach) return [];
  const channels = reach.channels.filter((c): c is string => c !== undefined);
  const audienceKey = `${audienceAlias}.${plan.job.audience.key}`;
  const columns: (string | Knex.Raw)[] = [];
  const contacts = plan.job.contacts;
  if (reach.addressAt !== undefined && contacts) {
    if (contacts.columns) {
      for (const channel of channels) columns.push(`${audienceAlias}.${contacts.columns[channel]}`);
    } else {
      const key = contacts.key ?? plan.job.audience.key;
      const pivot = k
        .select([
          `c.${key} as ${PERSON}`,
          ...channels.map((channel, i) =>
            k.raw('max(case when ?? = ? then ?? end) as ??', [
              `c.${contacts.channel}`,
              channel,
              `c.${contacts.address}`,
              `address_${i + 1}`,
            ]),
          ),
        ])
        .from(`${contacts.table} as c`);
      whereValues(pivot, `c.${contacts.channel}`, channels);
      applyWhere(pivot, 'c', contacts.where);
      pivot.groupBy(`c.${key}`);
      qb.leftJoin(pivot.as(CONTACTS), `${CONTACTS}.${PERSON}`, audienceKey);
      for (let i = 0; i < channels.length; i++) columns.push(`${CONTACTS}.address_${i + 1}`);
    }
  }
  const consent = plan.job.consent;
  if (reach.optOutAt !== undefined && consent) {
    const key = consent.key ?? plan.job.audience.key;
    const channel = `o.${consent.channel}`;
    const pivot = k
      .select([
        `o.${key} as ${PERSON}`,
        ...channels.map((name, i) =>
          k.raw('max(case when ?? in (?, ?) or ?? is null then 1 else 0 end) as ??', [
            channel,
            name,
            ALL_CHANNELS,
            channel,
            `opted_out_${i + 1}`,
          ]),
        ),
      ])
      .from(`${consent.table} as o`)
      // Only opt-outs already made at the run's time count (a re-run of a past `at` gives the same leads).
      .where(`o.${consent.time}`, '<=', naiveTime(k, plan.dialect, plan.at.local));
    applyWhere(pivot, 'o', consent.where);
    pivot.groupBy(`o.${key}`);
    qb.leftJoin(pivot.as(OPT_OUTS), `${OPT_OUTS}.${PERSON}`, audienceKey);
    for (let i = 0; i < channels.length; i++) columns.push(`${OPT_OUTS}.opted_out_${i + 1}`);
  }
  return columns;
}
