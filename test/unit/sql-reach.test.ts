// Expected SQL for contacts and consent (issue 12) on every dialect, compiled without
// connecting: the address of each candidate channel and an opt-out flag per channel are
// columns after the lead fields, from LEFT JOINs that drop nobody. Hive gets the same
// statement with literals (and passes Hive's grammar); Oracle quotes upper-case names.
import { describe, expect, it } from 'vitest';
import { planJob } from '../../src/plan/plan.ts';
import { resolveRunTime } from '../../src/plan/time.ts';
import { renderQuery } from '../../src/sql/render-query.ts';
import { renderHiveQuery } from '../../src/sql/hive/render-hive.ts';
import { loadJob } from '../../src/config/load-job.ts';
import type { Dialect } from '../../src/config/connection-schema.ts';
import { hiveSyntaxErrors } from '../support/hiveql.ts';

// 21:00 in Shanghai: opt-outs made at or before 2026-11-23 21:00:00 count.
const AT = resolveRunTime('2026-11-23T21:00:00', 'Asia/Shanghai');

function plan(yaml: string, dialect: Dialect) {
  const job = loadJob(
    '/virtual/reach-case.yaml',
    undefined,
    {},
    `name: reach-case\nsource: wh\ntimezone: Asia/Shanghai\naudience: { table: dim_user }\n${yaml}`,
  );
  return planJob(job, AT, dialect);
}

const LONG_FORM =
  'contacts: { table: user_channel_binding, where: { status: bound } }\n' +
  'consent: { table: user_opt_out }\n' +
  'lead: { fields: [user_id, name], channel: [wecom, sms] }\n';

describe('contacts (long form) and consent in the warehouse', () => {
  const expected: Record<'sqlite' | 'mysql' | 'postgres' | 'oracle', string> = {
    sqlite:
      'select `a`.`user_id`, `a`.`name`, `rc`.`address_1`, `rc`.`address_2`, `ro`.`opted_out_1`, `ro`.`opted_out_2` from `dim_user` as `a`' +
      ' left join (select `c`.`user_id` as `person_key`, max(case when `c`.`channel` = ? then `c`.`address` end) as `address_1`, max(case when `c`.`channel` = ? then `c`.`address` end) as `address_2`' +
      ' from `user_channel_binding` as `c` where `c`.`channel` in (?, ?) and `c`.`status` = ? group by `c`.`user_id`) as `rc` on `rc`.`person_key` = `a`.`user_id`' +
      ' left join (select `o`.`user_id` as `person_key`, max(case when `o`.`channel` in (?, ?) or `o`.`channel` is null then 1 else 0 end) as `opted_out_1`, max(case when `o`.`channel` in (?, ?) or `o`.`channel` is null then 1 else 0 end) as `opted_out_2`' +
      ' from `user_opt_out` as `o` where `o`.`opted_out_at` <= ? group by `o`.`user_id`) as `ro` on `ro`.`person_key` = `a`.`user_id`',
    mysql:
      'select `a`.`user_id`, `a`.`name`, `rc`.`address_1`, `rc`.`address_2`, `ro`.`opted_out_1`, `ro`.`opted_out_2` from `dim_user` as `a`' +
      ' left join (select `c`.`user_id` as `person_key`, max(case when `c`.`channel` = ? then `c`.`address` end) as `address_1`, max(case when `c`.`channel` = ? then `c`.`address` end) as `address_2`' +
      ' from `user_channel_binding` as `c` where `c`.`channel` in (CAST(? AS BINARY), CAST(? AS BINARY)) and `c`.`status` = CAST(? AS BINARY) group by `c`.`user_id`) as `rc` on `rc`.`person_key` = `a`.`user_id`' +
      ' left join (select `o`.`user_id` as `person_key`, max(case when `o`.`channel` in (?, ?) or `o`.`channel` is null then 1 else 0 end) as `opted_out_1`, max(case when `o`.`channel` in (?, ?) or `o`.`channel` is null then 1 else 0 end) as `opted_out_2`' +
      ' from `user_opt_out` as `o` where `o`.`opted_out_at` <= ? group by `o`.`user_id`) as `ro` on `ro`.`person_key` = `a`.`user_id`',
    postgres:
      'select "a"."user_id", "a"."name", "rc"."address_1", "rc"."address_2", "ro"."opted_out_1", "ro"."opted_out_2" from "dim_user" as "a"' +
      ' left join (select "c"."user_id" as "person_key", max(case when "c"."channel" = $1 then "c"."address" end) as "address_1", max(case when "c"."channel" = $2 then "c"."address" end) as "address_2"' +
      ' from "user_channel_binding" as "c" where "c"."channel" in ($3, $4) and "c"."status" = $5 group by "c"."user_id") as "rc" on "rc"."person_key" = "a"."user_id"' +
      ' left join (select "o"."user_id" as "person_key", max(case when "o"."channel" in ($6, $7) or "o"."channel" is null then 1 else 0 end) as "opted_out_1", max(case when "o"."channel" in ($8, $9) or "o"."channel" is null then 1 else 0 end) as "opted_out_2"' +
      ' from "user_opt_out" as "o" where "o"."opted_out_at" <= $10 group by "o"."user_id") as "ro" on "ro"."person_key" = "a"."user_id"',
    oracle:
      'select "A"."USER_ID", "A"."NAME", "RC"."ADDRESS_1", "RC"."ADDRESS_2", "RO"."OPTED_OUT_1", "RO"."OPTED_OUT_2" from "DIM_USER" "A"' +
      ' left join (select "C"."USER_ID" "PERSON_KEY", max(case when "C"."CHANNEL" = :1 then "C"."ADDRESS" end) as "ADDRESS_1", max(case when "C"."CHANNEL" = :2 then "C"."ADDRESS" end) as "ADDRESS_2"' +
      ' from "USER_CHANNEL_BINDING" "C" where "C"."CHANNEL" in (:3, :4) and "C"."STATUS" = :5 group by "C"."USER_ID") "RC" on "RC"."PERSON_KEY" = "A"."USER_ID"' +
      ' left join (select "O"."USER_ID" "PERSON_KEY", max(case when "O"."CHANNEL" in (:6, :7) or "O"."CHANNEL" is null then 1 else 0 end) as "OPTED_OUT_1", max(case when "O"."CHANNEL" in (:8, :9) or "O"."CHANNEL" is null then 1 else 0 end) as "OPTED_OUT_2"' +
      ` from "USER_OPT_OUT" "O" where "O"."OPTED_OUT_AT" <= TO_DATE(:10, 'YYYY-MM-DD HH24:MI:SS') group by "O"."USER_ID") "RO" on "RO"."PERSON_KEY" = "A"."USER_ID"`,
  };

  it.each(Object.keys(expected) as (keyof typeof expected)[])('%s', (dialect) => {
    const p = plan(LONG_FORM, dialect);
    const query = renderQuery(p);
    expect(query.sql).toBe(expected[dialect]);
    expect(query.bindings).toEqual([
      'wecom',
      'sms',
      'wecom',
      'sms',
      'bound',
      'wecom',
      '*',
      'sms',
      '*',
      '2026-11-23 21:00:00',
    ]);
    // Row layout: key, 2 fields, 2 addresses, 2 opt-out flags; the limit never goes into SQL.
    expect(p.reach).toMatchObject({ channels: ['wecom', 'sms'], addressAt: 3, optOutAt: 5, carryChannel: true });
    expect(p.pushLimit).toBe(false);
  });

  it('hive: the same statement with literals, accepted by Hive grammar', () => {
    const sql = renderHiveQuery(plan(LONG_FORM, 'hive')).sql;
    expect(sql).toBe(
      'select `a`.`user_id`, `a`.`name`, `rc`.`address_1`, `rc`.`address_2`, `ro`.`opted_out_1`, `ro`.`opted_out_2` from `dim_user` as `a`' +
        " left join (select `c`.`user_id` as `person_key`, max(case when `c`.`channel` = 'wecom' then `c`.`address` end) as `address_1`, max(case when `c`.`channel` = 'sms' then `c`.`address` end) as `address_2`" +
        " from `user_channel_binding` as `c` where `c`.`channel` in ('wecom', 'sms') and `c`.`status` = 'bound' group by `c`.`user_id`) as `rc` on `rc`.`person_key` = `a`.`user_id`" +
        " left join (select `o`.`user_id` as `person_key`, max(case when `o`.`channel` in ('wecom', '*') or `o`.`channel` is null then 1 else 0 end) as `opted_out_1`, max(case when `o`.`channel` in ('sms', '*') or `o`.`channel` is null then 1 else 0 end) as `opted_out_2`" +
        " from `user_opt_out` as `o` where `o`.`opted_out_at` <= TIMESTAMP '2026-11-23 21:00:00' group by `o`.`user_id`) as `ro` on `ro`.`person_key` = `a`.`user_id`",
    );
    expect(hiveSyntaxErrors(sql)).toEqual([]);
  });
});

describe('contacts as columns of the audience table, consent with its own column names', () => {
  const yaml =
    'contacts: { columns: { sms: phone, outbound_call: phone, wecom: wecom_external_userid } }\n' +
    'consent: { table: crm.opt_out, key: uid, channel: ch, time: created_at, where: { revoked: false } }\n' +
    'lead: { fields: [user_id], channel: [wecom, sms, outbound_call] }\n';

  it('postgres', () => {
    const query = renderQuery(plan(yaml, 'postgres'));
    expect(query.sql).toBe(
      'select "a"."user_id", "a"."wecom_external_userid", "a"."phone", "a"."phone", "ro"."opted_out_1", "ro"."opted_out_2", "ro"."opted_out_3" from "dim_user" as "a"' +
        ' left join (select "o"."uid" as "person_key", max(case when "o"."ch" in ($1, $2) or "o"."ch" is null then 1 else 0 end) as "opted_out_1", max(case when "o"."ch" in ($3, $4) or "o"."ch" is null then 1 else 0 end) as "opted_out_2", max(case when "o"."ch" in ($5, $6) or "o"."ch" is null then 1 else 0 end) as "opted_out_3"' +
        ' from "crm"."opt_out" as "o" where "o"."created_at" <= $7 and "o"."revoked" = $8 group by "o"."uid") as "ro" on "ro"."person_key" = "a"."user_id"',
    );
    expect(query.bindings).toEqual(['wecom', '*', 'sms', '*', 'outbound_call', '*', '2026-11-23 21:00:00', false]);
  });

  it('hive', () => {
    const sql = renderHiveQuery(plan(yaml, 'hive')).sql;
    expect(sql).toBe(
      'select `a`.`user_id`, `a`.`wecom_external_userid`, `a`.`phone`, `a`.`phone`, `ro`.`opted_out_1`, `ro`.`opted_out_2`, `ro`.`opted_out_3` from `dim_user` as `a`' +
        " left join (select `o`.`uid` as `person_key`, max(case when `o`.`ch` in ('wecom', '*') or `o`.`ch` is null then 1 else 0 end) as `opted_out_1`, max(case when `o`.`ch` in ('sms', '*') or `o`.`ch` is null then 1 else 0 end) as `opted_out_2`, max(case when `o`.`ch` in ('outbound_call', '*') or `o`.`ch` is null then 1 else 0 end) as `opted_out_3`" +
        " from `crm`.`opt_out` as `o` where `o`.`created_at` <= TIMESTAMP '2026-11-23 21:00:00' and `o`.`revoked` = FALSE group by `o`.`uid`) as `ro` on `ro`.`person_key` = `a`.`user_id`",
    );
    expect(hiveSyntaxErrors(sql)).toEqual([]);
  });

  it('oracle', () => {
    const query = renderQuery(plan(yaml, 'oracle'));
    expect(query.sql).toBe(
      'select "A"."USER_ID", "A"."WECOM_EXTERNAL_USERID", "A"."PHONE", "A"."PHONE", "RO"."OPTED_OUT_1", "RO"."OPTED_OUT_2", "RO"."OPTED_OUT_3" from "DIM_USER" "A"' +
        ' left join (select "O"."UID" "PERSON_KEY", max(case when "O"."CH" in (:1, :2) or "O"."CH" is null then 1 else 0 end) as "OPTED_OUT_1", max(case when "O"."CH" in (:3, :4) or "O"."CH" is null then 1 else 0 end) as "OPTED_OUT_2", max(case when "O"."CH" in (:5, :6) or "O"."CH" is null then 1 else 0 end) as "OPTED_OUT_3"' +
        ` from "CRM"."OPT_OUT" "O" where "O"."CREATED_AT" <= TO_DATE(:7, 'YYYY-MM-DD HH24:MI:SS') and "O"."REVOKED" = :8 group by "O"."UID") "RO" on "RO"."PERSON_KEY" = "A"."USER_ID"`,
    );
  });
});

describe('what stays out of the query', () => {
  it('consent on another connection (source:) is read as a key set, not joined', () => {
    const p = plan(
      'consent: { source: crm, table: user_opt_out }\nlead: { fields: [user_id], channel: [wecom, sms] }\n',
      'mysql',
    );
    expect(renderQuery(p).sql).toBe('select `a`.`user_id` from `dim_user` as `a`');
    expect(p.reach).toMatchObject({ consentElsewhere: true, optOutAt: undefined, addressAt: undefined });
  });

  it('the old single channel label adds no column and keeps LIMIT in SQL', () => {
    const p = plan('lead: { fields: [user_id, phone], channel: sms, limit: 10 }\n', 'sqlite');
    expect(renderQuery(p).sql).toBe(
      'select `a`.`user_id`, `a`.`phone` from `dim_user` as `a` order by `a`.`user_id` asc limit ?',
    );
    expect(p.reach).toMatchObject({ channels: ['sms'], carryChannel: false });
  });
});
