// Which jobs `crm-leads watch` takes: the reach rules (contacts, consent, quiet hours, a channel
// fallback) apply in watch as in run (test/integration/watch-reach.test.ts), so they are
// accepted; a CSV destination is still refused at its key.
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

  it('contacts, consent, quiet hours and a channel fallback are accepted', () => {
    expect(
      issuesOf(`${BASE}lead: { fields: [user_id], channel: [wecom, sms] }
contacts: { columns: { sms: phone, wecom: wecom_id } }
consent: { table: user_opt_out }
quiet_hours: { sms: "21:00-09:00" }
`),
    ).toEqual([]);
  });

  it('a csv destination is refused at its type', () => {
    const job = BASE.replace('{ type: webhook, url: "http://127.0.0.1:9/leads" }', '{ type: csv, path: out.csv }');
    expect(issuesOf(`${job}lead: { fields: [user_id], channel: sms }\n`)).toEqual([
      '6:25 destinations[0].type watch delivers lead by lead: use a webhook or table destination (csv files are for `crm-leads run`)',
    ]);
  });
});
