// CSV: the hand-written hot path (csv-escape.ts) must write exactly what csv-stringify writes
// for the same values once formula-like text is neutralised; csv-stringify is the reference.
// Then the destination itself: BOM on/off, header, temp file renamed only when complete.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { stringify } from 'csv-stringify/sync';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { csvCell, csvLine } from '../../src/destinations/csv-escape.ts';
import { csvDestination, expandPathTemplate } from '../../src/destinations/csv.ts';
import type { DestinationContext, Lead } from '../../src/destinations/destination.ts';
import { resolveRunTime } from '../../src/plan/time.ts';

// The reference: RFC 4180 with CRLF records. With an explicit record_delimiter csv-stringify
// stops quoting lone CR and LF unless quote_record_delimiter is set; RFC 4180 readers (and
// Excel) need them quoted. Booleans: csv-stringify writes 1/'' by default, we write words.
const REFERENCE = {
  record_delimiter: 'windows',
  quote_record_delimiter: true,
  cast: { boolean: (v: boolean) => (v ? 'true' : 'false') },
} as const;
const reference = (values: unknown[]) => stringify([values], REFERENCE);

// The neutralisation rule as the issue states it, written independently of csv-escape.ts:
// text starting with = + - @ tab CR (or their full-width forms) gets a leading apostrophe,
// unless it is a plain number such as -12.5 (DECIMAL columns arrive as text).
const FORMULA_CHARS = ['=', '+', '-', '@', '\t', '\r', '＝', '＋', '－', '＠'];
const isPlainNumberText = (s: string) =>
  s !== '' && s.trim() === s && Number.isFinite(Number(s)) && !/^[+-]?0[xob]/i.test(s);
const neutralise = (v: unknown) =>
  typeof v === 'string' && FORMULA_CHARS.includes(v[0]) && !isPlainNumberText(v) ? `'${v}` : v;

// A small RFC 4180 reader, only to show that what we write parses back to the cells we meant.
function readCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else cell += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') {
      row.push(cell);
      cell = '';
    } else if (ch === '\r' && text[i + 1] === '\n') {
      row.push(cell);
      rows.push(row);
      row = [];
      cell = '';
      i++;
    } else cell += ch;
  }
  if (cell !== '' || row.length > 0) throw new Error(`unterminated record: ${JSON.stringify(text)}`);
  return rows;
}

describe('csvCell: quoting', () => {
  it.each([
    ['plain', 'plain'],
    ['a,b', '"a,b"'],
    ['say "hi"', '"say ""hi"""'],
    ['line\nfeed', '"line\nfeed"'],
    ['carriage\rreturn', '"carriage\rreturn"'],
    ['crlf\r\ninside', '"crlf\r\ninside"'],
    ['张伟，北京市朝阳区', '张伟，北京市朝阳区'],
    ['北京, 上海', '"北京, 上海"'],
    ['  spaces kept  ', '  spaces kept  '],
    ["O'Brien", "O'Brien"],
    ['', ''],
  ])('%j -> %j', (value, cell) => {
    expect(csvCell(value)).toBe(cell);
  });

  it('writes null and undefined as empty cells, numbers, big integers and booleans as text', () => {
    expect(csvLine([null, undefined, 42, -12.5, 9007199254740993n, true, false])).toBe(
      ',,42,-12.5,9007199254740993,true,false\r\n',
    );
  });
});

describe('csvCell: formula-like text is neutralised, numbers are not', () => {
  it.each([
    ['=1+1', "'=1+1"],
    ['=HYPERLINK("http://evil.example","click")', `"'=HYPERLINK(""http://evil.example"",""click"")"`],
    ['+86 138 0000 0000', "'+86 138 0000 0000"],
    ['-2+3', "'-2+3"],
    ['@SUM(A1:A9)', "'@SUM(A1:A9)"],
    ['\tcmd', "'\tcmd"],
    ['\rcmd', `"'\rcmd"`],
    ['-', "'-"],
    ['-Infinity', "'-Infinity"],
    ['＝1+1', "'＝1+1"],
    ['＠某人', "'＠某人"],
    // Plain numbers as text (DECIMAL and BIGINT columns arrive as strings) stay numbers.
    ['-12.5', '-12.5'],
    ['+8613800000000', '+8613800000000'],
    ['-0.50', '-0.50'],
    ['-1e-5', '-1e-5'],
    ['12', '12'],
    // Formula characters elsewhere than the start are harmless.
    ['a=b', 'a=b'],
    ['价格-折扣', '价格-折扣'],
  ])('%j -> %j', (value, cell) => {
    expect(csvCell(value)).toBe(cell);
  });

  it('leaves numbers alone, negative ones included', () => {
    expect(csvCell(-12.5)).toBe('-12.5');
    expect(csvCell(-3n)).toBe('-3');
  });
});

describe('csvLine equals csv-stringify (the reference) for the neutralised values', () => {
  const rows: unknown[][] = [
    ['user_id', 'name', 'phone', 'city'],
    [1, '张伟', '13800000001', '北京'],
    [2, 'O\'Brien, "Bob"', '=1+1', '上海'],
    [3, '多行\n地址', 'line\r\nbreak', 'cr\ronly'],
    [4, '-12.5', -12.5, '-x'],
    [5, null, '', '   '],
    [6, '@x', '\tx', '\rx'],
    [7, '＝SUM(1)', true, false],
    ['9007199254740993', 9007199254740993n, '+1', '+a'],
  ];
  it.each(rows.map((r) => [r.map(String).join(' | '), r] as const))('%s', (_label, row) => {
    expect(csvLine(row)).toBe(reference(row.map(neutralise)));
  });

  it('holds for any mix of text, numbers, nulls and booleans (property)', () => {
    const text = fc.string({
      unit: fc.constantFrom(
        'a',
        'Z',
        '1',
        '.',
        'e',
        ' ',
        ',',
        '"',
        "'",
        '\n',
        '\r',
        '\t',
        '=',
        '+',
        '-',
        '@',
        '中',
        '文',
        '＝',
        '＋',
        '－',
        '＠',
        '😀',
      ),
      maxLength: 8,
    });
    const cell = fc.oneof(
      text,
      fc.double({ noNaN: true, noDefaultInfinity: true }),
      fc.integer(),
      fc.bigInt(),
      fc.constant(null),
      fc.boolean(),
    );
    fc.assert(
      fc.property(fc.array(cell, { minLength: 1, maxLength: 6 }), (row) => {
        expect(csvLine(row)).toBe(reference(row.map(neutralise)));
      }),
      { numRuns: 3000 },
    );
  });

  it('parses back (RFC 4180) to the neutralised text of every cell', () => {
    const text = rows.map(csvLine).join('');
    const parsed = readCsv(text);
    expect(parsed).toEqual(
      rows.map((r) =>
        r.map((v) => {
          const n = neutralise(v);
          return n === null ? '' : String(n);
        }),
      ),
    );
  });
});

// --- the CSV destination --------------------------------------------------------------------

const AT = resolveRunTime('2026-11-23T09:00:00', 'Asia/Shanghai');
const ctx = (runId = '20261123090000-abcd'): DestinationContext => ({
  job: 'csv-unit',
  runId,
  at: AT,
  fields: ['user_id', 'name', 'phone'],
});
const leads = (...rows: unknown[][]): Lead[] => rows.map((values, i) => ({ key: String(i + 1), values }));
const tempDir = () => mkdtempSync(join(tmpdir(), 'crm-leads-csv-unit-'));

describe('csv destination', () => {
  it('writes a UTF-8 BOM and the header when bom is on', async () => {
    const dir = tempDir();
    const d = csvDestination({ path: join(dir, 'out.csv'), bom: true });
    await d.open(ctx());
    await d.write(leads([1, '张伟', '13800000001']));
    const summary = await d.close('ok');
    const bytes = readFileSync(join(dir, 'out.csv'));
    expect([...bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    expect(bytes.subarray(3).toString('utf8')).toBe('user_id,name,phone\r\n1,张伟,13800000001\r\n');
    expect(summary).toEqual({ type: 'csv', target: join(dir, 'out.csv'), delivered: 1, failed: 0 });
  });

  it('writes no BOM when bom is off', async () => {
    const dir = tempDir();
    const d = csvDestination({ path: join(dir, 'out.csv'), bom: false });
    await d.open(ctx());
    await d.write(leads([1, '李娜', null]));
    await d.close('ok');
    expect(readFileSync(join(dir, 'out.csv'), 'utf8')).toBe('user_id,name,phone\r\n1,李娜,\r\n');
  });

  it('writes to a hidden temporary file in the same folder and renames it only when complete', async () => {
    const dir = tempDir();
    const d = csvDestination({ path: join(dir, 'out.csv'), bom: false });
    await d.open(ctx());
    await d.write(leads([1, 'a', 'b']));
    expect(existsSync(join(dir, 'out.csv'))).toBe(false);
    expect(readdirSync(dir)).toEqual([`.out.csv.20261123090000-abcd.${process.pid}.tmp`]);
    await d.close('ok');
    expect(readdirSync(dir)).toEqual(['out.csv']);
  });

  it('a failed run removes its temporary file and leaves the previous CSV untouched', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'out.csv'), 'previous run\r\n');
    const d = csvDestination({ path: join(dir, 'out.csv'), bom: true });
    await d.open(ctx());
    await d.write(leads([1, 'half', 'written']));
    const summary = await d.close('failed');
    expect(readdirSync(dir)).toEqual(['out.csv']);
    expect(readFileSync(join(dir, 'out.csv'), 'utf8')).toBe('previous run\r\n');
    expect(summary.delivered).toBe(0);
  });

  it('creates parent folders and expands {{job}} {{date}} {{run_id}} (date in the job timezone)', async () => {
    const dir = tempDir();
    // 2026-11-22T20:00Z is already the 23rd in Shanghai.
    const at = resolveRunTime('2026-11-22T20:00:00Z', 'Asia/Shanghai');
    const d = csvDestination({ path: join(dir, 'a', 'b', '{{job}}', '{{date}}-{{run_id}}.csv'), bom: false });
    await d.open({ ...ctx('r1'), at });
    await d.close('ok');
    expect(readFileSync(join(dir, 'a', 'b', 'csv-unit', '2026-11-23-r1.csv'), 'utf8')).toBe('user_id,name,phone\r\n');
    expect(expandPathTemplate('out/{{job}}/{{date}}.csv', { job: 'j', runId: 'r', at })).toBe('out/j/2026-11-23.csv');
  });

  it('"-" writes to the given stdout, without a BOM, and creates no file', async () => {
    const out = new PassThrough();
    let text = '';
    out.on('data', (chunk) => (text += chunk));
    const d = csvDestination({ path: '-', bom: true, stdout: out });
    await d.open(ctx());
    await d.write(leads([1, '=cmd', '北京, 上海']));
    const summary = await d.close('ok');
    expect(text).toBe(`user_id,name,phone\r\n1,'=cmd,"北京, 上海"\r\n`);
    expect(summary).toEqual({ type: 'csv', target: 'stdout', delivered: 1, failed: 0 });
  });

  it('a path that is a folder: one line naming it, no temporary file left (rename refused)', async () => {
    const dir = tempDir();
    mkdirSync(join(dir, 'out.csv'));
    const d = csvDestination({ path: join(dir, 'out.csv'), bom: false });
    await d.open(ctx());
    await d.write(leads([1, 'a', 'b']));
    await expect(d.close('ok')).rejects.toThrow(`csv ${join(dir, 'out.csv')}: `);
    expect(readdirSync(dir)).toEqual(['out.csv']);
    expect(readdirSync(join(dir, 'out.csv'))).toEqual([]);
  });

  it('removes the temporary files of dead processes for the same file, keeps live ones and other files', async () => {
    const dir = tempDir();
    // A real process that has exited: its pid is free (a killed run's leftovers).
    const deadPid = spawnSync(process.execPath, ['-e', '0']).pid;
    const stale = `.out.csv.20261122090000-dead.${deadPid}.tmp`;
    const live = `.out.csv.20261122090000-live.${process.ppid}.tmp`;
    const other = `.other.csv.20261122090000-dead.${deadPid}.tmp`;
    for (const name of [stale, live, other]) writeFileSync(join(dir, name), 'half');
    const d = csvDestination({ path: join(dir, 'out.csv'), bom: false });
    await d.open(ctx());
    await d.close('ok');
    expect(readdirSync(dir).sort()).toEqual([live, other, 'out.csv'].sort());
  });
});
