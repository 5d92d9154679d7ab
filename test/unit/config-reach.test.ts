// The reach keys of the job spec (issue 12): the issue's spec block loads as written, the old
// forms keep their meaning, and mistakes are validate errors at the key that is wrong.
import { describe, expect, it } from 'vitest';
import { SpecError, type SpecIssue } from '../../src/errors.ts';
import type { Connections } from '../../src/config/load-connections.ts';
import { loadJob } from '../../src/config/load-job.ts';
import { fileURLToPath } from 'node:url';

const FILE = '/virtual/jobs/reach.yaml';
const CONNECTIONS: Connections = {
  file: '/virtual/connections.yaml',
  byName: new Map([
    ['wh', { type: 'sqlite', path: '/virtual/warehouse.db' }],
    ['crm', { type: 'postgres', host: '127.0.0.1', database: 'crm' }],
  ]),
};
const ENV = {
  WECOM_HOOK: 'https://wecom.example/hook',
  SMS_GATEWAY: 'https://sms.example/send',
};

const HEAD = 'name: reach\nsource: wh\ntimezone: Asia/Shanghai\naudience: { table: dim_user }\n';

// The spec block of the issue, as written.
const ISSUE_SPEC = `${HEAD}contacts:
  table: user_channel_binding
consent:
  table: user_opt_out
lead:
  fields: [user_id, name]
  channel: [wecom, sms, outbound_call]
quiet_hours:
  outbound_call: "21:00-09:00"
  sms: "22:00-08:00"
  hold: 12h
exclude:
  delivered:
    - { within: 24h }
    - { within: 7d, scope: all, channel: sms, max: 2 }
    - { within: 1d, scope: all, max: 3 }
destinations:
  - { type: webhook, url: "\${WECOM_HOOK}", channels: [wecom] }
  - { type: webhook, url: "\${SMS_GATEWAY}", channels: [sms] }
  - { type: csv, path: "out/{{job}}/{{run_id}}.csv", channels: [outbound_call] }
`;

const load = (text: string) => loadJob(FILE, CONNECTIONS, ENV, text);

function issuesOf(text: string): SpecIssue[] {
  try {
    load(text);
  } catch (err) {
    if (err instanceof SpecError) return err.issues;
    throw err;
  }
  throw new Error('expected the job to be rejected');
}

describe('the spec block of the issue', () => {
  it('loads, normalised', () => {
    const job = load(ISSUE_SPEC);
    expect(job.contacts).toEqual({ table: 'user_channel_binding', channel: 'channel', address: 'address', where: [] });
    expect(job.consent).toEqual({ table: 'user_opt_out', channel: 'channel', time: 'opted_out_at', where: [] });
    expect(job.lead.channel).toEqual(['wecom', 'sms', 'outbound_call']);
    expect(job.quiet_hours).toEqual({
      hold: 43200,
      channels: {
        outbound_call: { start: 75600, end: 32400, text: '21:00-09:00' },
        sms: { start: 79200, end: 28800, text: '22:00-08:00' },
      },
    });
    expect(job.exclude.delivered).toEqual([
      { within: { seconds: 86400 }, scope: 'job', channel: undefined, max: 1, legacy: false },
      { within: { seconds: 604800, days: 7 }, scope: 'all', channel: 'sms', max: 2, legacy: false },
      { within: { seconds: 86400, days: 1 }, scope: 'all', channel: undefined, max: 3, legacy: false },
    ]);
    expect(job.destinations.map((d) => d.channels)).toEqual([['wecom'], ['sms'], ['outbound_call']]);
  });

  it('the old forms keep their meaning', () => {
    const old = (rest: string) => load(`${HEAD}lead: { fields: [user_id], channel: sms }\n${rest}`);
    expect(old('').lead.channel).toEqual(['sms']);
    expect(old('exclude: { delivered: 7d }').exclude.delivered).toEqual([
      { within: { seconds: 604800, days: 7 }, scope: 'job', max: 1, legacy: true },
    ]);
    expect(old('exclude: { delivered: { within: 7d, scope: all } }').exclude.delivered).toEqual([
      { within: { seconds: 604800, days: 7 }, scope: 'all', channel: undefined, max: 1, legacy: true },
    ]);
  });

  it('contacts as columns of the audience table', () => {
    const job = load(
      ISSUE_SPEC.replace(
        'contacts:\n  table: user_channel_binding\n',
        'contacts:\n  columns: { sms: phone, outbound_call: phone, wecom: wecom_external_userid }\n',
      ),
    );
    expect(job.contacts?.columns).toEqual({ sms: 'phone', outbound_call: 'phone', wecom: 'wecom_external_userid' });
  });
});

describe('jobs/high-value-multichannel.yaml', () => {
  it('loads: WeCom, then SMS, then the call list, each destination taking its channel', () => {
    const file = fileURLToPath(new URL('../../jobs/high-value-multichannel.yaml', import.meta.url));
    const job = loadJob(file, undefined, {
      WECOM_HOOK: 'https://wecom.example/h',
      WECOM_HOOK_SECRET: 's1',
      SMS_GATEWAY: 'https://sms.example/s',
      SMS_GATEWAY_SECRET: 's2',
    });
    expect(job.lead.channel).toEqual(['wecom', 'sms', 'outbound_call']);
    expect(job.destinations.map((d) => [d.type, d.channels])).toEqual([
      ['webhook', ['wecom']],
      ['webhook', ['sms']],
      ['csv', ['outbound_call']],
    ]);
  });
});

describe('validate errors, each at its key', () => {
  it('a lead field named like the fields the reach step adds', () => {
    expect(
      issuesOf(ISSUE_SPEC.replace('fields: [user_id, name]', 'fields: [user_id, address]')).map((i) => [
        i.key,
        i.message,
      ]),
    ).toEqual([['lead.fields[1]', '"address" is the field each lead gets from lead.channel; rename this field']]);
  });

  it("a destination's channel that is not in lead.channel", () => {
    expect(issuesOf(ISSUE_SPEC.replace('channels: [sms] }', 'channels: [sms, app_push] }'))).toEqual([
      {
        file: FILE,
        line: 23,
        column: 61,
        key: 'destinations[1].channels[1]',
        message:
          'channel "app_push" is not in lead.channel (wecom, sms, outbound_call): no lead can reach this destination on it',
      },
    ]);
  });

  it('a channel of lead.channel that no destination takes', () => {
    const issues = issuesOf(ISSUE_SPEC.replace('channels: [outbound_call] }', 'channels: [sms] }'));
    expect(issues.map((i) => [i.key, i.message])).toEqual([
      [
        'destinations',
        'no destination takes channel "outbound_call" of lead.channel (add it to a destination\'s channels)',
      ],
    ]);
  });

  it('quiet hours: a misspelt channel, a bad clock, an empty period, a bad hold', () => {
    const issues = issuesOf(
      ISSUE_SPEC.replace(
        '  sms: "22:00-08:00"\n  hold: 12h',
        '  smss: "22:00-08:00"\n  sms: "22-08"\n  wecom: "09:00-09:00"\n  hold: soon',
      ),
    );
    expect(issues.map((i) => [i.key, i.message])).toEqual([
      ['quiet_hours.hold', '"soon" is not a duration: write a whole number and a unit s, m, h or d, e.g. 30d'],
      ['quiet_hours.sms', 'quiet hours are written "HH:MM-HH:MM" in 24-hour time, e.g. "21:00-09:00"'],
      ['quiet_hours.wecom', 'quiet hours that start and end at the same minute are empty'],
    ]);
    const typo = issuesOf(ISSUE_SPEC.replace('  sms: "22:00-08:00"', '  smss: "22:00-08:00"'));
    expect(typo.map((i) => [i.key, i.message])).toEqual([
      [
        'quiet_hours.smss',
        'channel "smss" is not in lead.channel (wecom, sms, outbound_call) (did you mean "sms"?): no lead goes out on it',
      ],
    ]);
  });

  it('contacts: table or columns, and a column for every channel', () => {
    expect(
      issuesOf(ISSUE_SPEC.replace('contacts:\n  table: user_channel_binding\n', 'contacts: { key: uid }\n')).map(
        (i) => i.message,
      ),
    ).toEqual(['contacts needs either table (one row per person and channel) or columns (one per channel)']);
    expect(
      issuesOf(
        ISSUE_SPEC.replace('contacts:\n  table: user_channel_binding\n', 'contacts: { columns: { sms: phone } }\n'),
      ).map((i) => [i.key, i.message]),
    ).toEqual([
      ['contacts.columns', 'no column for channel "wecom" of lead.channel'],
      ['contacts.columns', 'no column for channel "outbound_call" of lead.channel'],
    ]);
  });

  it('contacts, consent and quiet hours need lead.channel; consent.source must be a connection', () => {
    const noChannel = `${HEAD}contacts: { table: b }\nlead: { fields: [user_id] }\n`;
    expect(issuesOf(noChannel).map((i) => [i.key, i.message])).toEqual([
      ['contacts', 'contacts needs lead.channel: the channel, or channels in fallback order'],
    ]);
    const source = ISSUE_SPEC.replace('  table: user_opt_out', '  source: crmm\n  table: user_opt_out');
    expect(issuesOf(source).map((i) => [i.key, i.message])).toEqual([
      ['consent.source', 'unknown connection "crmm" (in /virtual/connections.yaml: wh, crm)'],
    ]);
  });

  it('caps: max is a positive whole number; a channel listed twice', () => {
    expect(issuesOf(ISSUE_SPEC.replace('channel: sms, max: 2 }', 'channel: sms, max: 0 }')).map((i) => i.key)).toEqual([
      'exclude.delivered[1].max',
    ]);
    expect(
      issuesOf(ISSUE_SPEC.replace('channel: [wecom, sms, outbound_call]', 'channel: [wecom, sms, wecom]')).map(
        (i) => i.message,
      ),
    ).toEqual(['a channel appears twice in the list']);
  });
});
