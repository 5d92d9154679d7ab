// An Excel workbook for analysts (Excel, WPS, LibreOffice), streamed with exceljs's
// WorkbookWriter so memory stays flat: each row is written to the zip as it comes. Header
// bold, frozen and with an autofilter; column widths from the first rows; text stays text.
// Written to a temporary file in the same folder and renamed when complete, like the CSV.
import { once } from 'node:events';
import { createWriteStream, mkdirSync, renameSync, rmSync, type WriteStream } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import type ExcelJS from 'exceljs';
import { RunError } from '../errors.ts';
import { expandPathTemplate } from './csv.ts';
import type { Destination, DestinationContext, DestinationSummary, Lead, WriteResult } from './destination.ts';
import { type CellRules, type CellValue, cellValue, columnWidths } from './xlsx-cells.ts';

export interface XlsxOptions {
  path: string;
  /** Default: the job name. Cut to Excel's 31 characters. */
  sheet?: string;
  /** Lead field names always written as text. */
  text?: string[];
  /** Lead field names whose plain decimal texts (DECIMAL, BIGINT as text) become numbers. */
  number?: string[];
}

/** Rows per sheet in Excel (1,048,576) minus the header: more leads continue on the next sheet. */
export const LEADS_PER_SHEET = 1_048_575;
/** Excel's limit on a sheet name's length. */
export const SHEET_NAME_CHARS = 31;

export function xlsxDestination(options: XlsxOptions, leadsPerSheet = LEADS_PER_SHEET): Destination {
  let file: WriteStream | undefined;
  let book: ExcelJS.stream.xlsx.WorkbookWriter | undefined;
  let sheet: ExcelJS.Worksheet | undefined;
  let ctx: DestinationContext;
  let rules: CellRules;
  let finalPath = '';
  let tempPath = '';
  let written = 0;
  let onSheet = 0;
  let sheets = 0;
  let widths: number[] | undefined;
  let failure: Error | undefined;
  const check = () => {
    if (failure) throw new RunError(`xlsx: cannot write ${finalPath}: ${failure.message}`);
  };

  const discard = () => {
    // Stop the zip first, so that nothing writes to the file being removed.
    (book as unknown as { zip?: { abort(): void } } | undefined)?.zip?.abort();
    file?.destroy();
    rmSync(tempPath, { force: true });
  };

  const addSheet = (firstRows: CellValue[][]) => {
    sheet?.commit();
    sheets += 1;
    widths ??= columnWidths(ctx.fields, firstRows);
    sheet = book!.addWorksheet(sheetName(options.sheet ?? ctx.job, sheets), {
      views: [{ state: 'frozen', ySplit: 1 }],
    });
    sheet.columns = ctx.fields.map((_, i) => ({
      width: widths![i],
      style: rules.text.has(i) ? { numFmt: '@' } : {},
    }));
    sheet.autoFilter = { from: { row: 1, column: 1 }, to: { row: 1, column: ctx.fields.length } };
    const header = sheet.addRow(ctx.fields);
    header.font = { bold: true };
    header.commit();
    onSheet = 0;
  };

  const self: Destination & { target: string } = {
    type: 'xlsx',
    target: options.path,
    deliversOnClose: true,
    async open(context) {
      ctx = context;
      rules = cellRules(context, options);
      finalPath = resolve(expandPathTemplate(options.path, context));
      self.target = finalPath;
      tempPath = join(dirname(finalPath), `.${basename(finalPath)}.${context.runId}.tmp`);
      const { default: Excel } = await import('exceljs');
      try {
        mkdirSync(dirname(finalPath), { recursive: true });
        file = createWriteStream(tempPath, { flags: 'wx', highWaterMark: 1 << 20 });
        await once(file, 'open');
        // A write error (disk full) fails the next write or the close, not the process.
        file.on('error', (err) => (failure ??= err));
      } catch (err) {
        throw new RunError(`xlsx: cannot write ${finalPath}: ${(err as Error).message}`);
      }
      // Inline strings, not the shared-string table: that table would hold every distinct
      // text (every phone number) in memory until the end.
      book = new Excel.stream.xlsx.WorkbookWriter({ stream: file, useStyles: true, useSharedStrings: false });
    },
    async write(batch: Lead[]): Promise<WriteResult> {
      const rows = batch.map((lead) => lead.values.map((v, i) => cellValue(v, i, rules)));
      if (!sheet) addSheet(rows);
      for (const row of rows) {
        if (onSheet === leadsPerSheet) addSheet(rows);
        sheet!.addRow(row).commit();
        onSheet += 1;
      }
      written += batch.length;
      // The zip goes to the file as it is deflated: wait while the file has a backlog.
      check();
      if (file!.writableNeedDrain) await once(file!, 'drain');
      return { delivered: batch, failed: [] };
    },
    async close(outcome): Promise<DestinationSummary> {
      if (file) {
        if (outcome === 'ok') {
          try {
            if (!sheet) addSheet([]);
            sheet!.commit();
            await book!.commit();
            if (!file.closed) await once(file, 'close');
            check();
          } catch (err) {
            discard();
            throw err instanceof RunError
              ? err
              : new RunError(`xlsx: cannot write ${finalPath}: ${(err as Error).message}`);
          }
          renameSync(tempPath, finalPath);
        } else discard();
      }
      return { type: 'xlsx', target: finalPath, delivered: outcome === 'ok' ? written : 0, failed: 0 };
    },
  };
  return self;
}

function cellRules(ctx: DestinationContext, options: XlsxOptions): CellRules {
  const positions = (names: string[] = []) => new Set(names.map((n) => ctx.fields.indexOf(n)).filter((i) => i >= 0));
  return { timezone: ctx.at.timezone, text: positions(options.text), number: positions(options.number) };
}

/** The n-th sheet's name (1-based): the name, then "name (2)", each within 31 characters. */
export function sheetName(name: string, n: number): string {
  const suffix = n === 1 ? '' : ` (${n})`;
  return (
    Array.from(name)
      .slice(0, SHEET_NAME_CHARS - suffix.length)
      .join('') + suffix
  );
}
