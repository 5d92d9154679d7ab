// Loading a job from YAML text: defaults, normalisation, ${VAR} interpolation, and problems
// returned as data (file, line, column, key path, suggestion). Nothing connects or prints.
import { describe, expect, it } from 'vitest';
import { SpecError, type SpecIssue } from '../../src/errors.ts';
import type { Connections } from '../../src/config/load-connections.ts';
import { loadJob } from '../../src/config/load-job.ts';

const FILE = '/virtual/jobs/spec-load.yaml';
const CONNECTIONS: Connections = {
  file: '/virtual/connections.yaml',
  byName: new Map([
    ['wh', { type: 'sqlite', path: '/virtual/warehouse.db' }],
    ['crm_db', { type: 'postgres', host: '127.0.0.1', database: 'crm' }],
  ]),
};

const MINIMAL = `name: minimal
source: wh
audience:
  table: dim_user
lead:
  fields: [user_id, phone]
`;

const load = (text: string, env: Record<string, string> = {}) => loadJob(FILE, CONNECTIONS, env, text);

function issuesOf(text: string, env: Record<string, string> = {}): SpecIssue[] {
  try {
    load(text, env);
  } catch (err) {
    if (err instanceof SpecError) return err.issues;
    throw err;
  }
  throw new Error('expected the job to be rejected');
}

describe('defaults and normalisation', () => {
  it('fills the documented defaults', () => {
    const job = load(MINIMAL);
    expect(job.file).toBe(FILE);
    expect(job.timezone).toBe('UTC');
    expect(job.audience.key).toBe('user_id');
    expect(job.audience.where).toEqual([]);
    expect(job.exclude).toEqual({});
    expect(job.lead.require).toEqual([]);
    expect(job.destinations).toEqual([]);
  });

  it('normalises where: scalar is =, list is IN, null is IS NULL, operator maps are AND-ed', () => {
    const job = load(
      MINIMAL.replace(
        '  table: dim_user\n',
        `  table: dim_user
  where:
    gender: M
    city: [北京, 上海]
    email: null
    age: { gte: 25, lt: 46 }
`,
      ),
    );
    expect(job.audience.where).toEqual([
      { column: 'gender', condition: { op: 'eq', value: 'M' } },
      { column: 'city', condition: { op: 'in', values: ['北京', '上海'] } },
      { column: 'email', condition: { op: 'is_null', value: true } },
      { column: 'age', condition: { op: 'gte', value: 25 } },
      { column: 'age', condition: { op: 'lt', value: 46 } },
    ]);
  });

  it('lead.fields as a list or as a map out_name: column', () => {
    expect(load(MINIMAL).lead.fields).toEqual([
      { name: 'user_id', column: 'user_id' },
      { name: 'phone', column: 'phone' },
    ]);
    const mapped = load(
      MINIMAL.replace('fields: [user_id, phone]', 'fields: { id: user_id, mobile: phone }\n  require: [mobile]'),
    );
    expect(mapped.lead.fields).toEqual([
      { name: 'id', column: 'user_id' },
      { name: 'mobile', column: 'phone' },
    ]);
    expect(mapped.lead.require).toEqual(['mobile']);
  });

  it('segments: column form, or a long table with its options taken out of the dimensions', () => {
    const columns = load(
      MINIMAL.replace(
        '  table: dim_user\n',
        '  table: dim_user\n  segments: { value_tier: [high, top], life_stage: parent }\n',
      ),
    );
    expect(columns.audience.segments).toEqual({
      table: undefined,
      key: undefined,
      dimensions: [
        { dimension: 'value_tier', segments: ['high', 'top'] },
        { dimension: 'life_stage', segments: ['parent'] },
      ],
    });
    const long = load(
      MINIMAL.replace(
        '  table: dim_user\n',
        '  table: dim_user\n  segments: { table: dw.user_segment, key: uid, value_tier: high }\n',
      ),
    );
    expect(long.audience.segments).toEqual({
      table: 'dw.user_segment',
      key: 'uid',
      dimensions: [{ dimension: 'value_tier', segments: ['high'] }],
    });
  });

  it('tags: column defaults to tag', () => {
    const job = load(
      MINIMAL.replace(
        '  table: dim_user\n',
        '  table: dim_user\n  tags: { table: user_tag, all: [购买力强], none: [投诉用户] }\n',
      ),
    );
    expect(job.audience.tags).toEqual({ table: 'user_tag', column: 'tag', all: ['购买力强'], none: ['投诉用户'] });
  });

  it.each([
    ['30d', { seconds: 30 * 86400, days: 30 }],
    ['36h', { seconds: 36 * 3600 }],
    ['90m', { seconds: 90 * 60 }],
    ['45s', { seconds: 45 }],
  ])('within: %s is %o (d: calendar days, s/m/h: elapsed seconds)', (within, lookback) => {
    const job = load(`${MINIMAL}exclude:\n  converted: { table: orders, time: paid_at, within: ${within} }\n`);
    expect(job.exclude.converted?.within).toEqual(lookback);
  });

  it('a csv destination has bom on and mode replace by default', () => {
    const job = load(`${MINIMAL}destinations:\n  - { type: csv, path: "out/{{job}}/{{date}}.csv" }\n`);
    expect(job.destinations).toEqual([{ type: 'csv', path: 'out/{{job}}/{{date}}.csv', mode: 'replace', bom: true }]);
  });
});

describe('${VAR} interpolation', () => {
  it('replaces variables anywhere, uses :-defaults, and turns a whole-value number into a number', () => {
    const job = load(
      MINIMAL.replace('table: dim_user', 'table: ${DW_SCHEMA}.dim_user').replace(
        'fields: [user_id, phone]',
        'fields: [user_id, phone]\n  limit: ${LEAD_LIMIT}\n  channel: ${CHANNEL:-outbound}',
      ),
      { DW_SCHEMA: 'dw', LEAD_LIMIT: '5000' },
    );
    expect(job.audience.table).toBe('dw.dim_user');
    expect(job.lead.limit).toBe(5000);
    expect(job.lead.channel).toEqual(['outbound']);
  });

  it('a value cannot inject YAML structure', () => {
    const job = load(MINIMAL.replace('fields: [user_id, phone]', 'fields: [user_id, phone]\n  channel: ${CHANNEL}'), {
      CHANNEL: 'x\nlimit: 1',
    });
    expect(job.lead.channel).toEqual(['x\nlimit: 1']);
    expect(job.lead.limit).toBeUndefined();
  });

  it('an unset variable without a default is an error naming it, at its line and column', () => {
    expect(issuesOf(MINIMAL.replace('table: dim_user', 'table: ${DW_TABLE}'))).toEqual([
      {
        file: FILE,
        line: 4,
        column: 10,
        key: 'audience.table',
        message: 'environment variable DW_TABLE is not set (use ${DW_TABLE:-default} for a default)',
      },
    ]);
  });
});

describe('problems are data: file, line, column, key, message', () => {
  it.each<[string, string, Partial<SpecIssue>]>([
    [
      'unknown key with a suggestion',
      MINIMAL.replace('  table: dim_user', '  table: dim_user\n  wher: { age: 1 }'),
      { line: 5, column: 3, key: 'audience.wher', message: 'unknown key "wher" (did you mean "where"?)' },
    ],
    [
      'misspelt operator with a suggestion',
      MINIMAL.replace('  table: dim_user', '  table: dim_user\n  where: { age: { betwen: [25, 45] } }'),
      {
        line: 5,
        key: 'audience.where.age.betwen',
        message: expect.stringContaining('unknown operator "betwen" (did you mean "between"?)'),
      },
    ],
    [
      'wrong type',
      MINIMAL.replace('fields: [user_id, phone]', 'fields: [user_id, phone]\n  limit: many'),
      { line: 7, column: 10, key: 'lead.limit', message: 'expected number, received string' },
    ],
    [
      'bad duration',
      `${MINIMAL}exclude:\n  converted: { table: orders, time: paid_at, within: 30days }\n`,
      { line: 8, key: 'exclude.converted.within', message: expect.stringContaining('not a duration') },
    ],
    [
      'zero duration',
      `${MINIMAL}exclude:\n  converted: { table: orders, time: paid_at, within: 0d }\n`,
      { line: 8, key: 'exclude.converted.within', message: '"0d": a duration must be positive' },
    ],
    [
      'unknown connection',
      MINIMAL.replace('source: wh', 'source: warehouse'),
      {
        line: 2,
        column: 9,
        key: 'source',
        message: 'unknown connection "warehouse" (in /virtual/connections.yaml: wh, crm_db)',
      },
    ],
    [
      'unknown conversion connection',
      `${MINIMAL}exclude:\n  converted: { source: crm, table: orders, time: paid_at, within: 30d }\n`,
      { line: 8, key: 'exclude.converted.source', message: expect.stringContaining('unknown connection "crm"') },
    ],
    [
      'non-identifier where column',
      MINIMAL.replace('  table: dim_user', '  table: dim_user\n  where: { "age; drop table x": 1 }'),
      { line: 5, key: 'audience.where.age; drop table x', message: expect.stringContaining('not a valid column name') },
    ],
    [
      'non-identifier lead field',
      MINIMAL.replace('fields: [user_id, phone]', 'fields: [user_id, "phone)"]'),
      {
        line: 6,
        column: 21,
        key: 'lead.fields[1]',
        message: 'not a column name (or trigger.COLUMN, trigger.item.COLUMN)',
      },
    ],
    [
      'bad table name',
      MINIMAL.replace('table: dim_user', 'table: "dim_user u"'),
      { line: 4, key: 'audience.table', message: expect.stringContaining('not a valid table name') },
    ],
    [
      'bad timezone',
      MINIMAL.replace('source: wh', 'source: wh\ntimezone: Asia/Shanghia'),
      {
        line: 3,
        column: 11,
        key: 'timezone',
        message: '"Asia/Shanghia" is not an IANA time zone such as Asia/Shanghai or America/New_York',
      },
    ],
    [
      'bad job name',
      MINIMAL.replace('name: minimal', 'name: High Value'),
      { line: 1, key: 'name', message: expect.stringContaining('lower-case letters') },
    ],
    [
      'require not in fields',
      MINIMAL.replace('fields: [user_id, phone]', 'fields: [user_id, phone]\n  require: [email]'),
      { line: 7, key: 'lead.require[0]', message: '"email" is not one of lead.fields (user_id, phone)' },
    ],
    [
      'missing required key',
      MINIMAL.replace('source: wh\n', ''),
      { key: 'source', message: 'required key is missing' },
    ],
    [
      'between needs two values',
      MINIMAL.replace('  table: dim_user', '  table: dim_user\n  where: { age: { between: [25] } }'),
      { line: 5, key: 'audience.where.age.between', message: 'between expects [low, high] (inclusive), not [25]' },
    ],
    [
      'tags with no condition',
      MINIMAL.replace('  table: dim_user', '  table: dim_user\n  tags: { table: user_tag }'),
      { line: 5, key: 'audience.tags', message: 'tags needs at least one of all, any, none' },
    ],
    [
      'unknown path placeholder',
      `${MINIMAL}destinations:\n  - { type: csv, path: "out/{{jobname}}.csv" }\n`,
      {
        line: 8,
        key: 'destinations[0].path',
        message: '"out/{{jobname}}.csv": unknown placeholder {{jobname}}; use {{job}}, {{date}} or {{run_id}}',
      },
    ],
    [
      'YAML syntax',
      MINIMAL.replace('fields: [user_id, phone]', 'fields: [user_id, phone'),
      { line: 7, message: expect.stringMatching(/^YAML syntax: /) },
    ],
  ])('%s', (_name, text, expected) => {
    const issues = issuesOf(text);
    expect(issues[0]).toMatchObject({ file: FILE, ...expected });
  });

  it('collects every problem of a file at once', () => {
    const issues = issuesOf(
      MINIMAL.replace('source: wh', 'source: nowhere\ntimezone: Mars/Olympus').replace(
        'fields: [user_id, phone]',
        'fields: [user_id, phone]\n  limt: 5',
      ),
    );
    expect(issues.map((i) => i.key).sort()).toEqual(['lead.limt', 'timezone']);
    // The connection check runs once the schema passes; the schema problems come first.
    const second = issuesOf(
      MINIMAL.replace('source: wh', 'source: nowhere').replace(
        'fields: [user_id, phone]',
        'fields: [user_id, phone]\n  require: [email]',
      ),
    );
    expect(second.map((i) => i.key)).toEqual(['source', 'lead.require[0]']);
  });

  it('the SpecError message is one file:line:column line per issue', () => {
    try {
      load(MINIMAL.replace('source: wh', 'source: nowhere'));
      expect.unreachable();
    } catch (err) {
      expect((err as Error).message).toBe(
        `${FILE}:2:9: source: unknown connection "nowhere" (in /virtual/connections.yaml: wh, crm_db)`,
      );
    }
  });
});

describe('a scheduled job never overwrites the file of its previous run (issue 10)', () => {
  const scheduled = (schedule: string, path: string) =>
    `${MINIMAL}schedule: "${schedule}"\ndestinations:\n  - { type: csv, path: "${path}" }\n`;

  it.each([['*/30 * * * *'], ['15 * * * *'], ['0 9,14,19 * * *'], ['0 9-18 * * 1-5'], ['*/10 0 9 * * *']])(
    'refuses {{date}} without {{run_id}} for "%s", which runs more than once a day',
    (schedule) => {
      const issues = issuesOf(scheduled(schedule, 'out/{{job}}/{{date}}.csv'));
      expect(issues).toHaveLength(1);
      expect(issues[0]).toMatchObject({ file: FILE, line: 9, key: 'destinations[0].path' });
      expect(issues[0].message).toContain('"out/{{job}}/{{date}}.csv"');
      expect(issues[0].message).toContain('{{run_id}}');
    },
  );

  it('accepts {{run_id}} in the path, and {{date}} alone for a job that runs once a day', () => {
    expect(() => load(scheduled('*/30 * * * *', 'out/{{job}}/{{date}}/{{run_id}}.csv'))).not.toThrow();
    expect(() => load(scheduled('0 10 * * *', 'out/{{job}}/{{date}}.csv'))).not.toThrow();
    expect(() => load(scheduled('0 30 10 * * *', 'out/{{job}}/{{date}}.csv'))).not.toThrow();
    expect(() => load(scheduled('0 0 1,15 * *', 'out/{{job}}/{{date}}.csv'))).not.toThrow();
  });

  // Two consecutive runs of the schedule resolve the path to the same file: the second would
  // replace the leads of the first (issue 10: a daily job writing out/{{job}}.csv).
  it.each([['0 9 * * *'], ['0 0 * * *'], ['0 9 * * 1-5'], ['0 0 1,15 * *'], ['0 0 1 1 *'], ['*/30 * * * *']])(
    'refuses a fixed csv or xlsx path for "%s", naming the file and two run times',
    (schedule) => {
      for (const [type, path] of [
        ['csv', 'out/{{job}}.csv'],
        ['xlsx', 'out/{{job}}.xlsx'],
      ]) {
        const issues = issuesOf(
          `${MINIMAL}timezone: Asia/Shanghai\nschedule: "${schedule}"\ndestinations:\n  - { type: ${type}, path: "${path}" }\n`,
        );
        expect(issues).toHaveLength(1);
        expect(issues[0]).toMatchObject({
          file: FILE,
          line: 10,
          column: type === 'csv' ? 24 : 25,
          key: 'destinations[0].path',
        });
        expect(issues[0].message).toMatch(
          new RegExp(
            `^"out/\\{\\{job\\}\\}\\.${type}": schedule "${schedule.replace(/\*/g, '\\*')}" would write out/minimal\\.${type} at \\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d and again at \\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d \\(Asia/Shanghai\\), replacing the leads of the first run`,
          ),
        );
        expect(issues[0].message).toContain(
          type === 'csv' ? 'or add mode: append' : 'an xlsx workbook is written whole: it has no mode: append',
        );
      }
    },
  );

  it('a csv with mode: append may keep one file; an xlsx cannot append', () => {
    const append = (schedule: string) =>
      `${MINIMAL}schedule: "${schedule}"\ndestinations:\n  - { type: csv, path: "out/{{job}}.csv", mode: append }\n`;
    expect(load(append('0 9 * * *')).destinations[0]).toMatchObject({ type: 'csv', mode: 'append' });
    expect(() => load(append('*/30 * * * *'))).not.toThrow();
    expect(load(scheduled('0 9 * * *', 'out/{{job}}/{{date}}.csv')).destinations[0]).toMatchObject({ mode: 'replace' });
    const issues = issuesOf(
      `${MINIMAL}schedule: "0 9 * * *"\ndestinations:\n  - { type: xlsx, path: "out/{{job}}/{{date}}.xlsx", mode: append }\n`,
    );
    expect(issues).toEqual([
      expect.objectContaining({
        key: 'destinations[0].mode',
        message: 'an xlsx workbook is written whole, it has no mode: append; put {{date}} or {{run_id}} in the path',
      }),
    ]);
  });

  it('{{date}} is the date in the job timezone: 07:30 and 08:30 in Shanghai share one date (two in UTC)', () => {
    const job = (timezone: string) =>
      `${MINIMAL}timezone: ${timezone}\nschedule: "30 7,8 * * *"\ndestinations:\n  - { type: csv, path: "out/{{date}}.csv" }\n`;
    // 23:30 and 00:30 UTC: read as UTC dates the two runs would look like two files.
    expect(issuesOf(job('Asia/Shanghai'))[0].message).toMatch(
      /would write out\/\d{4}-\d\d-\d\d\.csv at (\S+) 07:30 and again at \1 08:30 \(Asia\/Shanghai\).*put \{\{run_id\}\} in the path \(it runs more than once a day\)/,
    );
    const daily = `${MINIMAL}timezone: Asia/Shanghai\nschedule: "30 7 * * *"\ndestinations:\n  - { type: csv, path: "out/{{date}}.csv" }\n`;
    expect(() => load(daily)).not.toThrow();
  });
});

describe('a misplaced key says where it belongs (issue 10)', () => {
  it('where: at the top level and within: under audience point to their sections, a typo still gets "did you mean"', () => {
    const issues = issuesOf(
      `name: mis\nsource: wh\nwhere: { city: x }\naudience: { table: dim_user, within: 3d }\nlead: { fields: [user_id], limt: 3 }\n`,
    );
    const byKey = Object.fromEntries(issues.map((i) => [i.key, i.message]));
    expect(byKey.where).toBe(
      'unknown key "where" here: it belongs under audience.where, trigger.where or audience.behaviour[N].where (check the indentation)',
    );
    expect(byKey['audience.within']).toMatch(/^unknown key "within" here: it belongs under trigger\.within, /);
    expect(byKey['audience.within']).not.toContain('did you mean "within"');
    expect(byKey['lead.limt']).toBe('unknown key "limt" (did you mean "limit"?)');
  });
});
