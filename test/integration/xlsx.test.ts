// The xlsx destination through the real CLI on every dialect, read the way analysts read it:
// by a real spreadsheet program (LibreOffice headless, converted to CSV, every cell compared
// as text) and by exceljs (cell types, header style, frozen pane, autofilter, widths).
import { existsSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ExcelJS from 'exceljs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.ts';
import { createTestDatabase, DIALECTS, loadFixture, type TestDatabase } from '../support/databases.ts';
import { findSoffice, sheetsAsText } from '../support/libreoffice.ts';

const SOFFICE = findSoffice();
if (!SOFFICE && process.env.CI)
  throw new Error('LibreOffice (soffice) is not installed: .ci/run installs it; CI=true fails');

// Text a spreadsheet would turn into something else if it guessed: numbers with leading
// zeros, +86 numbers, 18-digit ID numbers, dates, formulas, booleans, exponents.
const PEOPLE = [
  {
    id: 1,
    name: '张伟',
    phone: '01012345678',
    id_card: '110101199003071234',
    born: '2024-01-02',
    note: '=1+1',
    amount: 0,
    price: '12.50',
    viewed_at: '2026-11-20 09:30:00',
  },
  {
    id: 2,
    name: '欧阳娜娜',
    phone: '+8613800138000',
    id_card: '11010119900307123X',
    born: '2024/1/2',
    note: '-12.5',
    amount: -12,
    price: '0.10',
    viewed_at: '2026-11-19 23:59:59',
  },
  {
    id: 3,
    name: 'O\'Brien, "Bob"',
    phone: '0086 10 1234 5678',
    id_card: '000123',
    born: '1e5',
    note: '@SUM(A1)',
    amount: 123456789,
    price: null,
    viewed_at: null,
  },
  {
    id: 4,
    name: '王小明',
    phone: null,
    id_card: '3.14',
    born: 'TRUE',
    note: '两行\n第二行',
    amount: 7,
    price: '99999.99',
    viewed_at: '2026-01-02 00:00:00',
  },
];
const HEADER = ['编号', '姓名', '手机号', '身份证号', '日期', '备注', '金额', '单价', '浏览时间'];
const COLUMNS = ['id', 'name', 'phone', 'id_card', 'born', 'note', 'amount', 'price', 'viewed_at'] as const;
// What every cell shows, as text: exactly the lead's value; a decimal in a `number:` column
// is a number (12.50 shows as 12.5); an empty cell for NULL.
const EXPECTED_TEXT = [
  HEADER,
  ...PEOPLE.map((p) => COLUMNS.map((c) => (p[c] === null ? '' : c === 'price' ? String(Number(p[c])) : String(p[c])))),
];

const JOB = `name: xlsx-leads
source: wh
timezone: Asia/Shanghai
audience: { table: people, key: id }
lead:
  fields:
${HEADER.map((h, i) => `    ${h}: ${COLUMNS[i]}`).join('\n')}
  order_by: { id: asc }
destinations:
  - type: xlsx
    path: "out/{{job}}/{{run_id}}.xlsx"
    sheet: 线索
    text: [手机号]
    number: [单价]
`;

describe.each(DIALECTS)('xlsx on %s', (dialect) => {
  let db: TestDatabase;
  let xlsx = '';
  const dir = mkdtempSync(join(tmpdir(), `crm-leads-xlsx-${dialect}-`));

  beforeAll(async () => {
    db = await createTestDatabase(dialect, 'xlsx');
    await loadFixture(db, [
      {
        name: 'people',
        columns: {
          id: 'integer',
          name: 'string',
          phone: 'string',
          id_card: 'string',
          born: 'string',
          note: 'text',
          amount: 'integer',
          price: 'decimal',
          viewed_at: 'datetime',
        },
        rows: PEOPLE,
      },
    ]);
    writeFileSync(join(dir, 'connections.yaml'), `wh: ${db.yaml}\n`);
    writeFileSync(join(dir, 'job.yaml'), JOB);
    const r = await runCli(['run', 'job.yaml', '--at', '2026-11-23T00:00:00'], { cwd: dir });
    expect(r.stderr).not.toMatch(/error/);
    expect(r.code).toBe(0);
    const outputs = r.summary?.outputs as { type: string; target: string; delivered: number }[];
    expect(outputs).toEqual([expect.objectContaining({ type: 'xlsx', delivered: PEOPLE.length })]);
    xlsx = outputs[0].target;
    // Renamed into place: no temporary file left beside it.
    expect(readdirSync(join(dir, 'out', 'xlsx-leads'))).toEqual([xlsx.split('/').pop()]);
  }, 120_000);
  afterAll(async () => db?.drop());

  it('exceljs reads text as text, warehouse numbers as numbers, the header bold, frozen and filtered', async () => {
    const book = new ExcelJS.Workbook();
    await book.xlsx.readFile(xlsx);
    expect(book.worksheets.map((s) => s.name)).toEqual(['线索']);
    const sheet = book.worksheets[0];
    expect(sheet.rowCount).toBe(1 + PEOPLE.length);
    expect(sheet.getRow(1).values).toEqual([undefined, ...HEADER]);
    for (let c = 1; c <= HEADER.length; c++) expect(sheet.getRow(1).getCell(c).font?.bold).toBe(true);
    expect(sheet.views).toEqual([expect.objectContaining({ state: 'frozen', ySplit: 1 })]);
    expect(sheet.autoFilter).toBe('A1:I1');
    // Wide enough for the widest of the first rows (CJK characters count twice), never huge.
    // (exceljs leaves out a column of its default width, 9: read back as undefined)
    const width = (c: number) => sheet.getColumn(c).width ?? 9;
    expect(width(2)).toBeGreaterThanOrEqual(15); // O'Brien, "Bob"
    expect(width(4)).toBeGreaterThanOrEqual(19); // 18-digit ID
    expect(width(9)).toBeGreaterThanOrEqual(20); // 2026-11-20 09:30:00
    for (let c = 1; c <= HEADER.length; c++) expect(width(c)).toBeGreaterThanOrEqual(8);

    const { Number: NUM, String: STR, Null } = ExcelJS.ValueType;
    PEOPLE.forEach((p, i) => {
      const row = sheet.getRow(2 + i);
      COLUMNS.forEach((c, j) => {
        const cell = row.getCell(j + 1);
        const value = p[c];
        if (value === null) expect(cell.type, `${c} of ${p.id}`).toBe(Null);
        else if (typeof value === 'number' || c === 'price') {
          expect(cell.type, `${c} of ${p.id}`).toBe(NUM);
          expect(cell.value).toBe(Number(value));
        } else {
          expect(cell.type, `${c} of ${p.id}`).toBe(STR);
          expect(cell.value).toBe(value);
        }
      });
    });
  });

  it.skipIf(!SOFFICE)(
    'LibreOffice shows every cell as the lead value, as text',
    async () => {
      const sheets = await sheetsAsText(SOFFICE!, xlsx);
      expect([...sheets.keys()]).toEqual(['线索']);
      expect(sheets.get('线索')).toEqual(EXPECTED_TEXT);
    },
    120_000,
  );
});

describe('xlsx when the run fails half-way', () => {
  it('leaves no partial workbook and the previous one untouched', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'crm-leads-xlsx-fail-'));
    const db = await createTestDatabase('sqlite', 'xlsx_fail');
    try {
      const rows = Array.from({ length: 5000 }, (_, i) => ({ user_id: i + 1, name: `用户${i + 1}` }));
      await loadFixture(db, [{ name: 'people', columns: { user_id: 'integer', name: 'string' }, rows }]);
      // Row 3000 fails while being read: three batches were written to the workbook by then.
      await db.knex.raw(
        `create view people_failing as select user_id, name, case when user_id = 3000 then json('not json') else 'ok' end as checked from people`,
      );
      await db.knex.raw(`create view people_ok as select user_id, name, 'ok' as checked from people`);
      writeFileSync(join(dir, 'connections.yaml'), `wh: ${db.yaml}\n`);
      const job = (table: string) =>
        `name: xf\nsource: wh\naudience: { table: ${table} }\nlead: { fields: { 编号: user_id, 姓名: name, 检查: checked } }\ndestinations: [ { type: xlsx, path: out/leads.xlsx } ]\n`;
      writeFileSync(join(dir, 'ok.yaml'), job('people_ok'));
      writeFileSync(join(dir, 'fail.yaml'), job('people_failing'));
      const ok = await runCli(['run', 'ok.yaml'], { cwd: dir });
      expect(ok.code).toBe(0);
      const before = new ExcelJS.Workbook();
      await before.xlsx.readFile(join(dir, 'out', 'leads.xlsx'));
      expect(before.worksheets[0].name).toBe('xf'); // default: the job name
      expect(before.worksheets[0].rowCount).toBe(5001);

      const failed = await runCli(['run', 'fail.yaml'], { cwd: dir });
      expect(failed.code).toBe(1);
      expect(failed.stderr).toMatch(/error: .*json/i);
      expect(readdirSync(join(dir, 'out'))).toEqual(['leads.xlsx']);
      const after = new ExcelJS.Workbook();
      await after.xlsx.readFile(join(dir, 'out', 'leads.xlsx'));
      expect(after.worksheets[0].rowCount).toBe(5001);
      expect(existsSync(join(dir, 'out', 'leads.xlsx'))).toBe(true);
    } finally {
      await db.drop();
    }
  }, 120_000);
});
