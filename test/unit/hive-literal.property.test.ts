// Property: no value a job can hold changes the structure of the HiveQL statement it ends up
// in. Thousands of hostile strings (quotes, backslashes, \u and octal look-alikes, newlines,
// NUL, comment markers, '; DROP, ${...} substitutions, unicode, lone surrogates) go into every
// place a job puts a string; each statement is parsed with Hive's grammar (dt-sql-parser
// HiveSQL) and must (1) have no syntax errors, (2) have exactly the token stream, type by type,
// of the same statement with a benign value, so the parse tree is the same, (3) carry the value
// in its literal so that Hive's own unescaping reads it back exactly, (4) contain no "${".
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { planJob, type Plan } from '../../src/plan/plan.ts';
import { resolveRunTime } from '../../src/plan/time.ts';
import { renderHiveQuery } from '../../src/sql/hive/render-hive.ts';
import type { Job } from '../../src/config/load-job.ts';
import { loadJob } from '../../src/config/load-job.ts';
import { hiveSyntaxErrors, hiveTokens, hiveUnescape, type HiveToken } from '../support/hiveql.ts';

const AT = resolveRunTime('2026-11-23T09:00:00', 'Asia/Shanghai');
const MARK = 'VALUE_UNDER_TEST';

function jobWith(yaml: string): Job {
  return loadJob(
    '/virtual/hive-property.yaml',
    undefined,
    {},
    `name: hive-property\nsource: wh\ntimezone: Asia/Shanghai\n${yaml}`,
  );
}

/** The job with every string equal to MARK replaced by `value`: each place a job holds a string. */
function replaceMark<T>(node: T, value: string): T {
  if (node === MARK) return value as T;
  if (Array.isArray(node)) return node.map((n) => replaceMark(n, value)) as T;
  if (node !== null && typeof node === 'object')
    return Object.fromEntries(Object.entries(node).map(([k, v]) => [k, replaceMark(v, value)])) as T;
  return node;
}

function statementFor(job: Job, value: string): string {
  const plan: Plan = planJob(replaceMark(job, value), AT, 'hive');
  return renderHiveQuery(plan).sql;
}

const BENIGN = 'x';

// Small statement for many runs: a value as =, IN, LIKE, <> and BETWEEN bound.
const SMALL = jobWith(
  `audience: { table: dim_user, where: { name: ${MARK}, city: { in: [${MARK}, b] }, note: { like: ${MARK} }, tier: { ne: ${MARK} }, code: { between: [${MARK}, zzz] } } }\nlead: { fields: [user_id] }\n`,
);
// Every other place a string goes: segments, tags, trigger event names, event/item/step wheres, conversions.
const EVERYWHERE = jobWith(
  [
    `audience: { table: dim_user, where: { name: ${MARK} }, segments: { table: user_segment, tier: [${MARK}] }, tags: { table: user_tag, all: [${MARK}], any: [${MARK}, z], none: [${MARK}] } }`,
    `trigger: { table: events, event: ${MARK}, within: 24h, where: { channel: ${MARK} }, item: { table: items, where: { brand: ${MARK} } }, not_followed_by: { event: ${MARK}, within: 1h, where: { ref: ${MARK} } }, followed_by: [ { event: ${MARK}, within: 1h } ] }`,
    `exclude: { converted: { table: orders, time: paid_at, within: 30d, where: { category: ${MARK} } } }`,
    'lead: { fields: [user_id, trigger.item_id], order_by: { income: desc }, limit: 10 }',
  ].join('\n'),
);

// Fragments that have a meaning somewhere between the job and Hive's parser.
const HOSTILE_FRAGMENTS = [
  "'",
  "''",
  '"',
  '\\',
  '\\\\',
  "\\'",
  '\\u0041',
  '\\u00',
  '\\012',
  '\\0',
  '\\1',
  '\\Z',
  '\\%',
  '\\_',
  '\\n',
  '\n',
  '\r',
  '\t',
  '\b',
  '\0',
  '\x1a',
  '\x7f',
  '\u2028',
  '\ufeff',
  '--',
  '/*',
  '*/',
  '/*+ MAPJOIN(t) */',
  '#',
  ';',
  "'; DROP TABLE t; --",
  "' OR '1'='1",
  '`',
  '?',
  '??',
  ':1',
  '$1',
  '${',
  '}',
  '$',
  '{',
  '${env:HOME}',
  '${hiveconf:hive.exec.dynamic.partition}',
  '${system:user.name}',
  '${x}',
  '$${y}',
  '%',
  '_',
  '冰箱',
  'é',
  'e\u0301',
  '😀',
  '\ud800',
  '\udc00',
  ' ',
  'TIMESTAMP',
  'SELECT',
  ')',
  '(',
];

// The other members of the jobs' lists (`in: [value, b]`, `any: [value, z]`): a generated value
// equal to one of them is dropped as a duplicate (value-list.ts), which rightly changes the
// statement's shape, so the generators never produce them.
const LIST_COMPANIONS = ['b', 'z'];
const hostileString = fc
  .oneof(
    fc
      .array(fc.oneof(fc.constantFrom(...HOSTILE_FRAGMENTS), fc.string({ maxLength: 4 })), { maxLength: 12 })
      .map((parts) => parts.join('')),
    fc.string({ unit: 'binary', maxLength: 24 }),
    fc.string({ unit: 'grapheme', maxLength: 16 }),
  )
  .filter((value) => !LIST_COMPANIONS.includes(value));

interface Shape {
  types: string[];
  /** Indexes of the string literal tokens that carry the value under test. */
  valueTokens: number[];
}

function shapeOf(tokens: HiveToken[]): Shape {
  return {
    types: tokens.map((t) => t.type),
    valueTokens: tokens.flatMap((t, i) => (t.type === 'StringLiteral' && t.text === `'${BENIGN}'` ? [i] : [])),
  };
}

function checkValue(job: Job, benign: Shape, value: string): void {
  const sql = statementFor(job, value);
  expect(hiveSyntaxErrors(sql)).toEqual([]);
  const tokens = hiveTokens(sql);
  expect(tokens.map((t) => t.type)).toEqual(benign.types);
  for (const i of benign.valueTokens) expect(hiveUnescape(tokens[i].text)).toBe(value);
  expect(sql).not.toContain('${');
}

describe('HiveQL literals against hostile strings (fast-check, parsed with HiveSQL)', () => {
  const smallShape = shapeOf(hiveTokens(statementFor(SMALL, BENIGN)));
  const everywhereShape = shapeOf(hiveTokens(statementFor(EVERYWHERE, BENIGN)));

  it('the benign statements parse, and the value sits in the expected literals', () => {
    expect(hiveSyntaxErrors(statementFor(SMALL, BENIGN))).toEqual([]);
    expect(hiveSyntaxErrors(statementFor(EVERYWHERE, BENIGN))).toEqual([]);
    expect(smallShape.valueTokens).toHaveLength(5);
    // name, segment, 3 tags, trigger event and where, item where, B event and where, step event, conversion where
    expect(everywhereShape.valueTokens).toHaveLength(12);
  });

  it('the fragments one by one, everywhere a job puts a string', () => {
    for (const fragment of HOSTILE_FRAGMENTS) checkValue(EVERYWHERE, everywhereShape, fragment);
  });

  it('3000 generated values in where conditions never change the structure', () => {
    fc.assert(
      fc.property(hostileString, (value) => checkValue(SMALL, smallShape, value)),
      { numRuns: 3000 },
    );
  }, 120_000);

  it('300 generated values in every part of a full job never change the structure', () => {
    fc.assert(
      fc.property(hostileString, (value) => checkValue(EVERYWHERE, everywhereShape, value)),
      { numRuns: 300 },
    );
  }, 120_000);

  it('would notice a broken escaper (the checks have teeth)', () => {
    // Quote doubling, as code written for MySQL or PostgreSQL escapes: wrong for Hive.
    const doubled = (value: string) =>
      statementFor(SMALL, BENIGN).replace("`name` = 'x'", `\`name\` = '${value.replace(/'/g, "''")}'`);
    // A backslash before the quote ends the literal early: the structure changes.
    expect(hiveTokens(doubled("\\' OR 1=1 --")).map((t) => t.type)).not.toEqual(smallShape.types);
    // 'x'' OR ''1''=''1' is one token in Hive (adjacent literals), but not the value that was meant.
    const tokens = hiveTokens(doubled("x' OR '1'='1"));
    expect(tokens.map((t) => t.type)).toEqual(smallShape.types);
    expect(hiveUnescape(tokens[smallShape.valueTokens[0]].text)).not.toBe("x' OR '1'='1");
  });
});
