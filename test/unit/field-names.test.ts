// lead.fields as a map: output names are any non-empty text (Chinese included) for csv,
// xlsx and webhook; a table destination needs identifiers, reported at the field's position.
import { describe, expect, it } from 'vitest';
import type { Connections } from '../../src/config/load-connections.ts';
import { loadJob } from '../../src/config/load-job.ts';
import { payloadWriter } from '../../src/destinations/webhook-payload.ts';
import { SpecError, type SpecIssue } from '../../src/errors.ts';
import { CHINESE_FIELDS } from '../support/chinese-fields.ts';

const FILE = '/virtual/jobs/chinese-fields.yaml';
const CONNECTIONS: Connections = {
  file: '/virtual/connections.yaml',
  byName: new Map([
    ['wh', { type: 'sqlite', path: '/virtual/warehouse.db' }],
    ['crm_db', { type: 'postgres', host: '127.0.0.1', database: 'crm' }],
  ]),
};

const JOB = (destinations: string) => `name: chinese-fields
source: wh
audience:
  table: dim_user
${CHINESE_FIELDS}
  require: [手机号]
destinations:
${destinations}
`;

function issuesOf(text: string): SpecIssue[] {
  try {
    loadJob(FILE, CONNECTIONS, {}, text);
  } catch (err) {
    if (err instanceof SpecError) return err.issues;
    throw err;
  }
  throw new Error('expected the job to be rejected');
}

describe('output field names', () => {
  it('takes Chinese names for csv and webhook, in the order written', () => {
    const job = loadJob(
      FILE,
      CONNECTIONS,
      {},
      JOB('  - { type: csv, path: out.csv }\n  - { type: webhook, url: "http://127.0.0.1:1/x" }'),
    );
    expect(job.lead.fields).toEqual([
      { name: '姓名', column: 'name' },
      { name: '手机号', column: 'phone' },
      { name: '浏览时间', column: 'trigger.event_time' },
    ]);
    expect(job.lead.require).toEqual(['手机号']);
  });

  it('takes names with spaces and punctuation, but not an empty one', () => {
    const ok = loadJob(
      FILE,
      CONNECTIONS,
      {},
      JOB('  - { type: csv, path: out.csv }').replace('姓名: name', '"Full name (姓名)": name'),
    );
    expect(ok.lead.fields[0]).toEqual({ name: 'Full name (姓名)', column: 'name' });
    expect(issuesOf(JOB('  - { type: csv, path: out.csv }').replace('姓名: name', '" ": name'))).toEqual([
      { file: FILE, line: 11, column: 5, key: 'lead.fields. ', message: 'an output field name cannot be empty' },
    ]);
  });

  it('a table destination needs identifiers: each non-identifier field is reported at its key', () => {
    const issues = issuesOf(JOB('  - { type: table, connection: crm_db, table: crm_leads }'));
    expect(issues).toEqual([
      {
        file: FILE,
        line: 11,
        column: 5,
        key: 'lead.fields.姓名',
        message: expect.stringContaining('"姓名" cannot be a column of the table destination (destinations[0])'),
      },
      expect.objectContaining({ line: 12, column: 5, key: 'lead.fields.手机号' }),
      expect.objectContaining({ line: 13, column: 5, key: 'lead.fields.浏览时间' }),
    ]);
  });

  it('a table destination takes identifier names in a map', () => {
    const text = JOB('  - { type: table, connection: crm_db, table: crm_leads }')
      .replace('姓名: name', 'full_name: name')
      .replace('手机号: phone', 'mobile: phone')
      .replace('浏览时间: trigger.event_time', 'viewed_at: trigger.event_time')
      .replace('require: [手机号]', 'require: [mobile]');
    expect(loadJob(FILE, CONNECTIONS, {}, text).lead.fields.map((f) => f.name)).toEqual([
      'full_name',
      'mobile',
      'viewed_at',
    ]);
  });

  it('the webhook payload carries Chinese names as JSON keys', () => {
    const write = payloadWriter({ job: 'j', runId: 'r', fields: ['姓名', '手机号'] });
    const body = JSON.parse(write(1, [{ key: '7', values: ['王伟', '01012345678'] }]).toString());
    expect(body.leads).toEqual([{ key: '7', 姓名: '王伟', 手机号: '01012345678' }]);
  });

  it('xlsx: sheet, text and number as in the spec; unknown field names and bad sheet names at their position', () => {
    const job = loadJob(
      FILE,
      CONNECTIONS,
      {},
      JOB('  - type: xlsx\n    path: "out/{{job}}/{{run_id}}.xlsx"\n    sheet: 线索\n    text: [手机号]'),
    );
    expect(job.destinations).toEqual([
      { type: 'xlsx', path: 'out/{{job}}/{{run_id}}.xlsx', sheet: '线索', text: ['手机号'] },
    ]);
    expect(issuesOf(JOB('  - type: xlsx\n    path: out.xlsx\n    text: [手机, 姓名]\n    number: [收入]'))).toEqual([
      {
        file: FILE,
        line: 18,
        column: 12,
        key: 'destinations[0].text[0]',
        message: '"手机" is not one of lead.fields (姓名, 手机号, 浏览时间)',
      },
      expect.objectContaining({ line: 19, column: 14, key: 'destinations[0].number[0]' }),
    ]);
    expect(issuesOf(JOB('  - { type: xlsx, path: out.xlsx, sheet: "a/b" }'))).toEqual([
      expect.objectContaining({
        line: 16,
        key: 'destinations[0].sheet',
        message: expect.stringContaining('not a sheet name'),
      }),
    ]);
    expect(issuesOf(JOB('  - { type: xlsx, path: "out/{{day}}.xlsx" }'))).toEqual([
      expect.objectContaining({ key: 'destinations[0].path', message: expect.stringContaining('unknown placeholder') }),
    ]);
  });
});
