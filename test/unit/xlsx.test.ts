// The xlsx destination on its own: value -> cell rules, sheet names, more leads than a sheet
// holds continuing on the next sheet, and the temporary file renamed only when complete.
import { existsSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ExcelJS from 'exceljs';
import { describe, expect, it } from 'vitest';
import type { DestinationContext, Lead } from '../../src/destinations/destination.ts';
import { xlsxDestination, sheetName, LEADS_PER_SHEET } from '../../src/destinations/xlsx.ts';
import { cellValue, columnWidths, displayWidth, toExcel } from '../../src/destinations/xlsx-cells.ts';
import { resolveRunTime } from '../../src/plan/time.ts';

const rules = { timezone: 'Asia/Shanghai', text: new Set([1]), number: new Set([2]) };

describe('cell values', () => {
  it('text stays text, as typed', () => {
    for (const text of ['01012345678', '+8613800138000', '110101199003071234', '2024-01-02', '=1+1', '  x  ', 'TRUE'])
      expect(cellValue(text, 0, rules)).toBe(text);
  });
  it('warehouse numbers are numbers, except in a text: column', () => {
    expect(cellValue(32719, 0, rules)).toBe(32719);
    expect(cellValue(-0.5, 0, rules)).toBe(-0.5);
    expect(cellValue(13800138000, 1, rules)).toBe('13800138000');
    expect(cellValue(Number.NaN, 0, rules)).toBe('NaN');
  });
  it('a number: column turns plain decimals of up to 15 digits into numbers, nothing else', () => {
    expect(cellValue('12.50', 2, rules)).toBe(12.5);
    expect(cellValue('-0.10', 2, rules)).toBe(-0.1);
    expect(cellValue('123456789012345', 2, rules)).toBe(123456789012345);
    // Excel would round these on screen, or they are not plain numbers: kept as text.
    expect(cellValue('1234567890123456', 2, rules)).toBe('1234567890123456');
    expect(cellValue('110101199003071234', 2, rules)).toBe('110101199003071234');
    expect(cellValue('01012345678', 2, rules)).toBe('01012345678');
    expect(cellValue('1e5', 2, rules)).toBe('1e5');
    expect(cellValue('12.50', 0, rules)).toBe('12.50');
  });
  it('big integers keep every digit as text; times are text in the job timezone; NULL is empty', () => {
    expect(cellValue(9007199254740993n, 0, rules)).toBe('9007199254740993');
    expect(cellValue(new Date('2026-11-20T01:30:00Z'), 0, rules)).toBe('2026-11-20 09:30:00');
    expect(cellValue(null, 0, rules)).toBeNull();
    expect(cellValue(true, 0, rules)).toBe(true);
    expect(cellValue({ a: 1 }, 0, rules)).toBe('{"a":1}');
  });
});

describe('OOXML text escapes', () => {
  it('a carriage return and a literal _xHHHH_ survive XML as _x000D_ and _x005F_', () => {
    expect(toExcel('cr\r\nlf')).toEqual({ richText: [{ text: 'cr_x000D_\nlf' }] });
    expect(toExcel('a_x0041_b')).toEqual({ richText: [{ text: 'a_x005F_x0041_b' }] });
    expect(toExcel('line\nfeed')).toBe('line\nfeed');
    expect(toExcel(12)).toBe(12);
  });

  it('read back by exceljs exactly as written', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'crm-leads-xlsx-unit-'));
    const texts = ['cr\r\nlf', 'lone\rcr', 'a_x0041_b', '_x000D_', 'tab\there', ' spaced '];
    const d = xlsxDestination({ path: join(dir, 'escapes.xlsx') });
    await d.open({ ...context(dir), fields: ['t'] });
    await d.write(texts.map((t, i) => ({ key: String(i), values: [t] })));
    await d.close('ok');
    const book = new ExcelJS.Workbook();
    await book.xlsx.readFile(join(dir, 'escapes.xlsx'));
    expect(book.worksheets[0].getRows(2, texts.length)!.map((r) => r.getCell(1).text)).toEqual(texts);
  });
});

describe('layout', () => {
  it('CJK characters count twice in a width; widths stay between 8 and 60', () => {
    expect(displayWidth('手机号')).toBe(6);
    expect(displayWidth('abc')).toBe(3);
    expect(columnWidths(['姓名', 'x', 'note'], [['欧阳娜娜', 'y', 'z'.repeat(200)]])).toEqual([9, 8, 60]);
  });
  it('sheet names are cut to 31 characters, the continuations numbered', () => {
    expect(sheetName('线索', 1)).toBe('线索');
    expect(sheetName('线索', 2)).toBe('线索 (2)');
    const long = 'a-very-long-job-name-for-the-sheet-tab';
    expect(sheetName(long, 1)).toBe(long.slice(0, 31));
    expect(sheetName(long, 12)).toBe(`${long.slice(0, 26)} (12)`);
    expect(sheetName(long, 12)).toHaveLength(31);
  });
  it('Excel holds 1,048,576 rows: the header and 1,048,575 leads', () => {
    expect(LEADS_PER_SHEET).toBe(1_048_575);
  });
});

const context = (dir: string): DestinationContext => ({
  job: 'split',
  runId: 'r1',
  at: resolveRunTime('2026-11-23T00:00:00', 'Asia/Shanghai'),
  fields: ['编号', '姓名'],
});
const leads = (n: number): Lead[] =>
  Array.from({ length: n }, (_, i) => ({ key: String(i + 1), values: [i + 1, `用户${i + 1}`] }));

describe('the destination', () => {
  it('continues on a new sheet, with its own header, when a sheet is full', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'crm-leads-xlsx-unit-'));
    const d = xlsxDestination({ path: join(dir, '{{job}}.xlsx'), sheet: '线索' }, 3);
    await d.open(context(dir));
    await d.write(leads(5));
    await d.write(leads(7).slice(5));
    // Not there until it is complete.
    expect(existsSync(join(dir, 'split.xlsx'))).toBe(false);
    expect(await d.close('ok')).toEqual({ type: 'xlsx', target: join(dir, 'split.xlsx'), delivered: 7, failed: 0 });
    expect(readdirSync(dir)).toEqual(['split.xlsx']);
    const book = new ExcelJS.Workbook();
    await book.xlsx.readFile(join(dir, 'split.xlsx'));
    expect(book.worksheets.map((s) => s.name)).toEqual(['线索', '线索 (2)', '线索 (3)']);
    const values = book.worksheets.map((s) =>
      s
        .getSheetValues()
        .slice(1)
        .map((r) => (r as unknown[]).slice(1)),
    );
    expect(values).toEqual([
      [
        ['编号', '姓名'],
        [1, '用户1'],
        [2, '用户2'],
        [3, '用户3'],
      ],
      [
        ['编号', '姓名'],
        [4, '用户4'],
        [5, '用户5'],
        [6, '用户6'],
      ],
      [
        ['编号', '姓名'],
        [7, '用户7'],
      ],
    ]);
    for (const sheet of book.worksheets) expect(sheet.views[0]).toMatchObject({ state: 'frozen', ySplit: 1 });
  });

  it('zero leads: a workbook with the header only', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'crm-leads-xlsx-unit-'));
    const d = xlsxDestination({ path: join(dir, 'empty.xlsx') });
    await d.open(context(dir));
    await d.close('ok');
    const book = new ExcelJS.Workbook();
    await book.xlsx.readFile(join(dir, 'empty.xlsx'));
    expect(book.worksheets[0].name).toBe('split');
    expect(
      book.worksheets[0]
        .getSheetValues()
        .slice(1)
        .map((r) => (r as unknown[]).slice(1)),
    ).toEqual([['编号', '姓名']]);
  });

  it('a failed run removes the temporary file and writes nothing', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'crm-leads-xlsx-unit-'));
    const d = xlsxDestination({ path: join(dir, 'failed.xlsx') });
    await d.open(context(dir));
    await d.write(leads(1000));
    expect(readdirSync(dir)).toEqual([`.failed.xlsx.r1.${process.pid}.tmp`]);
    expect(await d.close('failed')).toMatchObject({ delivered: 0 });
    expect(readdirSync(dir)).toEqual([]);
  });
});
