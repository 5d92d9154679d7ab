// Expected SQL per dialect for a follow-up job (audience.follow_up, issue 13): the lead query
// with the delivered keys bound (plan option followUpKeys, src/run/follow-up.ts binds at most
// BIND_LIMIT of them) and the response query, for responded and not_responded. The run time is
// 2026-11-23 09:00:00 in Asia/Shanghai and follow_up.within is 3d, so the response events are
// read from 2026-11-20 09:00:00; up to `at` exclusive for responded (an event must come before
// at), inclusive for not_responded (an event exactly at `at` lies in a wait that ends at `at`).
// Oracle is checked as text only: there is no Oracle server here.
import { describe, expect, it } from 'vitest';
import { loadJob } from '../../src/config/load-job.ts';
import { planJob } from '../../src/plan/plan.ts';
import { resolveRunTime } from '../../src/plan/time.ts';
import { followUpResponseQuery } from '../../src/sql/follow-up-response.ts';
import { renderHiveQuery } from '../../src/sql/hive/render-hive.ts';
import { renderQuery } from '../../src/sql/render-query.ts';
import { followUpJobText } from '../support/follow-up-job.ts';
import { hiveSyntaxErrors } from '../support/hiveql.ts';

type Rule = 'responded' | 'not_responded';
const DIALECTS = ['sqlite', 'mysql', 'postgres', 'oracle', 'hive'] as const;
type D = (typeof DIALECTS)[number];

const jobText = (rule: Rule) => followUpJobText('cart-call', rule);
const job = (rule: Rule) => loadJob('job.yaml', undefined, {}, jobText(rule));
const AT = resolveRunTime('2026-11-23T09:00:00', 'Asia/Shanghai');
const KEYS = [601, 603, 605];

// follow_up.delivered_at and follow_up.channel come from the ledger: NULL columns the stream fills.
const LEAD: Record<D, string> = {
  sqlite: 'select `a`.`user_id`, `a`.`phone`, NULL, NULL from `dim_user` as `a` where `a`.`user_id` in (?, ?, ?)',
  mysql: 'select `a`.`user_id`, `a`.`phone`, NULL, NULL from `dim_user` as `a` where `a`.`user_id` in (?, ?, ?)',
  postgres: 'select "a"."user_id", "a"."phone", NULL, NULL from "dim_user" as "a" where "a"."user_id" in ($1, $2, $3)',
  oracle: 'select "A"."USER_ID", "A"."PHONE", NULL, NULL from "DIM_USER" "A" where "A"."USER_ID" in (:1, :2, :3)',
  hive: 'select `a`.`user_id`, `a`.`phone`, NULL, NULL from `dim_user` as `a` where `a`.`user_id` in (601, 603, 605)',
};

// Many delivered people: the rows come in the merge order of the key (src/sql/key-order.ts):
// its text's length, then its text by code point; NULL keys dropped.
const MERGE: Record<D, (alias: string) => string> = {
  sqlite: (t) =>
    ` and \`${t}\`.\`user_id\` is not null order by length(CAST(\`${t}\`.\`user_id\` AS TEXT)), CAST(\`${t}\`.\`user_id\` AS TEXT) COLLATE BINARY`,
  mysql: (t) =>
    ` and \`${t}\`.\`user_id\` is not null order by CHAR_LENGTH(CAST(\`${t}\`.\`user_id\` AS CHAR)), CAST(\`${t}\`.\`user_id\` AS BINARY)`,
  postgres: (t) =>
    ` and "${t}"."user_id" is not null order by char_length(CAST("${t}"."user_id" AS text)), CAST("${t}"."user_id" AS text) COLLATE "C"`,
  oracle: (t) =>
    ` and "${t}"."USER_ID" is not null order by LENGTH(TO_CHAR("${t}"."USER_ID")), NLSSORT(TO_CHAR("${t}"."USER_ID"), 'NLS_SORT=BINARY')`,
  hive: (t) =>
    ` and \`${t}\`.\`user_id\` is not null order by length(concat(\`${t}\`.\`user_id\`)), concat(\`${t}\`.\`user_id\`)`,
};

/** The response query with `op` at `at` ('<' responded, '<=' not_responded), with the bound keys or (many people) in merge order. */
const RESPONSE: Record<D, (op: '<' | '<=', keys: boolean) => string> = {
  sqlite: (op, keys) =>
    `select \`r\`.\`user_id\`, \`r\`.\`event_time\` from \`events\` as \`r\` where \`r\`.\`event_name\` = ? and \`r\`.\`event_time\` >= ? and \`r\`.\`event_time\` ${op} ? and \`r\`.\`campaign\` = ?${keys ? ' and `r`.`user_id` in (?, ?, ?)' : MERGE.sqlite('r')}`,
  mysql: (op, keys) =>
    `select \`r\`.\`user_id\`, \`r\`.\`event_time\` from \`events\` as \`r\` where \`r\`.\`event_name\` = CAST(? AS BINARY) and \`r\`.\`event_time\` >= ? and \`r\`.\`event_time\` ${op} ? and \`r\`.\`campaign\` = CAST(? AS BINARY)${keys ? ' and `r`.`user_id` in (?, ?, ?)' : MERGE.mysql('r')}`,
  postgres: (op, keys) =>
    `select "r"."user_id", "r"."event_time" from "events" as "r" where "r"."event_name" = $1 and "r"."event_time" >= $2 and "r"."event_time" ${op} $3 and "r"."campaign" = $4${keys ? ' and "r"."user_id" in ($5, $6, $7)' : MERGE.postgres('r')}`,
  oracle: (op, keys) =>
    `select "R"."USER_ID", "R"."EVENT_TIME" from "EVENTS" "R" where "R"."EVENT_NAME" = :1 and "R"."EVENT_TIME" >= TO_DATE(:2, 'YYYY-MM-DD HH24:MI:SS') and "R"."EVENT_TIME" ${op} TO_DATE(:3, 'YYYY-MM-DD HH24:MI:SS') and "R"."CAMPAIGN" = :4${keys ? ' and "R"."USER_ID" in (:5, :6, :7)' : MERGE.oracle('R')}`,
  hive: (op, keys) =>
    `select \`r\`.\`user_id\`, \`r\`.\`event_time\` from \`events\` as \`r\` where \`r\`.\`event_name\` = 'click_push' and \`r\`.\`event_time\` >= TIMESTAMP '2026-11-20 09:00:00' and \`r\`.\`event_time\` ${op} TIMESTAMP '2026-11-23 09:00:00' and \`r\`.\`campaign\` = 'cart'${keys ? ' and `r`.`user_id` in (601, 603, 605)' : MERGE.hive('r')}`,
};
const RESPONSE_BINDINGS = ['click_push', '2026-11-20 09:00:00', '2026-11-23 09:00:00', 'cart'];

describe('follow-up SQL per dialect', () => {
  it.each(DIALECTS)('%s: the lead query reads only the bound delivered keys', (d) => {
    const plan = planJob(job('responded'), AT, d, { followUpKeys: KEYS });
    const query = d === 'hive' ? renderHiveQuery(plan) : renderQuery(plan);
    expect(query.sql).toBe(LEAD[d]);
    expect(query.bindings).toEqual(d === 'hive' ? [] : KEYS);
    if (d === 'hive') expect(hiveSyntaxErrors(query.sql)).toEqual([]);
  });

  it.each(DIALECTS)('%s: without bound keys (many people) the lead query reads the whole audience', (d) => {
    const plan = planJob(job('responded'), AT, d);
    const query = d === 'hive' ? renderHiveQuery(plan) : renderQuery(plan);
    expect(query.sql).toBe(LEAD[d].replace(/ where .*$/, ''));
  });

  it.each(DIALECTS)('%s: many people without lead.order_by: the whole audience in the merge order', (d) => {
    const plan = planJob(job('responded'), AT, d, { followUpMerge: true });
    const query = d === 'hive' ? renderHiveQuery(plan) : renderQuery(plan);
    expect(query.sql).toBe(
      LEAD[d].replace(/ where .*$/, '') + MERGE[d](d === 'oracle' ? 'A' : 'a').replace(/^ and /, ' where '),
    );
    expect(query.bindings).toEqual([]);
    if (d === 'hive') expect(hiveSyntaxErrors(query.sql)).toEqual([]);
  });

  it.each(
    DIALECTS.flatMap((d) =>
      (
        [
          ['responded', '<'],
          ['not_responded', '<='],
        ] as const
      ).flatMap(([rule, op]) => [[d, rule, op, true] as const, [d, rule, op, false] as const]),
    ),
  )('%s %s: response events with time %s at (keys bound: %s)', async (d, rule, op, bound) => {
    const query = await followUpResponseQuery(job(rule), AT, d, bound ? KEYS : undefined);
    expect(query.sql).toBe(RESPONSE[d](op, bound));
    expect(query.bindings).toEqual(d === 'hive' ? [] : [...RESPONSE_BINDINGS, ...(bound ? KEYS : [])]);
    if (d === 'hive') expect(hiveSyntaxErrors(query.sql)).toEqual([]);
  });

  it("hive: text keys are written in as escaped literals (O'Brien stays one value)", async () => {
    const query = await followUpResponseQuery(job('responded'), AT, 'hive', ['u-7', "O'Brien"]);
    expect(query.sql).toMatch(/ and `r`\.`user_id` in \('u-7', 'O\\'Brien'\)$/);
    expect(hiveSyntaxErrors(query.sql)).toEqual([]);
  });

  it('a job without responded or not_responded has no response query', async () => {
    const plain = loadJob('job.yaml', undefined, {}, jobText('responded').replace(/\n {4}responded: .*\n/, '\n'));
    await expect(followUpResponseQuery(plain, AT, 'sqlite', undefined)).rejects.toThrow(/no follow_up response rule/);
  });
});
