// `crm-leads watch` refuses the reach rules it does not apply yet (contacts, consent, quiet
// hours, a channel fallback), at their key: run without them it would reach people who opted
// out or are inside quiet hours.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadJob } from '../../src/config/load-job.ts';
import { watchIssues } from '../../src/watch/watch-jobs.ts';

const BASE = `name: w
source: wh
timezone: Asia/Shanghai
audience: { table: dim_user }
trigger: { table: events, event: view_item, within: 1h }
destinations: [ { type: webhook, url: "http://127.0.0.1:9/leads" } ]
`;

function issuesOf(text: string) {
  const file = join(mkdtempSync(join(tmpdir(), 'crm-leads-watch-jobs-')), 'job.yaml');
  writeFileSync(file, text);
  return watchIssues(loadJob(file, undefined)).map((i) => `${i.line}:${i.column} ${i.key} ${i.message}`);
}

describe('jobs watch can run', () => {
  it('a plain trigger job with one channel is accepted', () => {
    expect(issuesOf(`${BASE}lead: { fields: [user_id], channel: sms }\n`)).toEqual([]);
  });

  it('contacts, consent, quiet hours and a channel fallback are refused at their keys', () => {
    const issues = issuesOf(`${BASE}lead: { fields: [user_id], channel: [wecom, sms] }
contacts: { columns: { sms: phone, wecom: wecom_id } }
consent: { table: user_opt_out }
quiet_hours: { sms: "21:00-09:00" }
`);
    expect(issues).toEqual([
      '8:11 contacts watch does not apply contacts yet: run this job with `crm-leads run` (on a schedule), or remove contacts',
      '9:10 consent watch does not apply consent yet: run this job with `crm-leads run` (on a schedule), or remove consent',
      '10:14 quiet_hours watch does not apply quiet_hours yet: run this job with `crm-leads run` (on a schedule), or remove quiet_hours',
      '7:37 lead.channel watch does not choose between channels yet: give lead.channel one channel, or run this job with `crm-leads run`',
    ]);
  });
});
