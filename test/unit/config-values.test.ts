// Issue 9.1 and 10 (values): a YAML value reaches SQL as typed, or the job is refused at the
// value's line and column with the value as typed and a hint to quote it.
import { describe, expect, it } from 'vitest';
import { loadJob } from '../../src/config/load-job.ts';
import { SpecError } from '../../src/errors.ts';

const job = (where: string, extra = '') =>
  `name: t\nsource: wh\ntimezone: Asia/Shanghai\naudience: { table: dim_user, where: ${where} }\nlead: { fields: [user_id] }\n${extra}`;

function where(map: string, env: NodeJS.ProcessEnv = {}) {
  return loadJob('job.yaml', undefined, env, job(map)).audience.where.map((c) => c.condition);
}

function problems(text: string, env: NodeJS.ProcessEnv = {}): string[] {
  try {
    loadJob('job.yaml', undefined, env, text);
  } catch (err) {
    if (err instanceof SpecError) return err.issues.map((i) => `${i.line}:${i.column} ${i.key}: ${i.message}`);
    throw err;
  }
  return [];
}

describe('YAML values keep the text as typed', () => {
  it('binds plain numbers as numbers, integers beyond 2^53 exactly as BigInt, quoted text as text', () => {
    expect(where('{ a: 2138, b: -7, c: 1.25, d: 12345678901234567890, e: "02138", f: true }')).toEqual([
      { op: 'eq', value: 2138 },
      { op: 'eq', value: -7 },
      { op: 'eq', value: 1.25 },
      { op: 'eq', value: 12345678901234567890n },
      { op: 'eq', value: '02138' },
      { op: 'eq', value: true },
    ]);
  });

  it.each([
    [
      '02138',
      '02138 would be read by YAML as the number 2138, not as typed: quote it ("02138") to keep the text, or write 2138 for the number',
    ],
    ['0x1F', '0x1F would be read by YAML as the number 31'],
    ['1e3', '1e3 would be read by YAML as the number 1000'],
    ['.inf', '.inf would be read by YAML as the number Infinity'],
    ['0.12345678901234567', '0.12345678901234567 would be read by YAML as the number'],
    [
      'yes',
      'yes is a boolean to some readers and text to others: write true or false for a boolean, or quote it ("yes") for text',
    ],
    ['off', 'off is a boolean to some readers'],
  ])('refuses a plain %s at its line and column, naming it as typed', (value, message) => {
    const [problem, ...rest] = problems(job(`{ zip: ${value} }`));
    expect(rest).toEqual([]);
    expect(problem).toContain('4:44 audience.where.zip: ');
    expect(problem).toContain(message);
  });

  it('keeps an explicitly tagged value as the tag says', () => {
    expect(where('{ zip: !!str 02138 }')).toEqual([{ op: 'eq', value: '02138' }]);
  });
});

describe('${VAR} keeps its text', () => {
  it('inside quotes it is always text, and a plain variable is a number only when no character is lost', () => {
    const env = { PHONE: '0138', PORT: '5432', BIG: '12345678901234567890' };
    // Block style: a plain ${X} cannot stand in a flow map ({ is flow syntax there).
    const text = `name: t\nsource: wh\naudience:\n  table: dim_user\n  where:\n    p: "\${PHONE}"\n    q: \${PHONE}\n    r: \${PORT}\n    s: '\${PORT}'\n    t: \${BIG}\nlead: { fields: [user_id] }\n`;
    const got = loadJob('job.yaml', undefined, env, text).audience.where.map((c) => c.condition);
    expect(got).toEqual([
      { op: 'eq', value: '0138' },
      { op: 'eq', value: '0138' },
      { op: 'eq', value: 5432 },
      { op: 'eq', value: '5432' },
      { op: 'eq', value: 12345678901234567890n },
    ]);
  });

  it('an unterminated ${VAR is an error at its value', () => {
    expect(problems(job('{ phone: "${PHONE" }'), { PHONE: '1' })).toEqual([
      '4:46 audience.where.phone: "${PHONE" is an unterminated variable: write ${NAME} or ${NAME:-default}',
    ]);
  });
});

describe('bad values are named as typed', () => {
  it('between [45, 25] can match nothing: an error', () => {
    expect(problems(job('{ age: { between: [45, 25] } }'))).toEqual([
      '4:55 audience.where.age.between: between [45, 25] can match nothing (low is above high): write [25, 45]',
    ]);
  });

  it.each([
    ['"30x"', '"30x" is not a duration'],
    ['99999999999999999999d', '"99999999999999999999d" is longer than the maximum duration, 3660d (316224000 seconds)'],
    ['3661d', '"3661d" is longer than the maximum duration'],
  ])('within: %s', (within, message) => {
    const text = job('{}', `exclude: { delivered: { within: ${within} } }\n`);
    const found = problems(text);
    expect(found).toHaveLength(1);
    expect(found[0]).toContain('exclude.delivered');
    expect(found[0]).toContain(message);
  });

  it('3660d is the longest duration', () => {
    expect(problems(job('{}', 'exclude: { delivered: { within: 3660d } }\n'))).toEqual([]);
  });
});
