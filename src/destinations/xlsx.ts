// An Excel workbook for analysts (Excel, WPS, LibreOffice), streamed with exceljs's
// WorkbookWriter so memory stays flat: each row goes into the zip as it comes. Header bold,
// frozen and with an autofilter; column widths from the first rows; text stays text
// (xlsx-cells.ts). Written to a temporary file and renamed when complete (temp-file.ts), like
// the CSV: a failed run leaves no partial workbook and the previous one untouched.
import { resolve } from 'node:path';
import { Writable } from 'node:stream';
import type ExcelJS from 'exceljs';
import { expandPathTemplate } from './csv.ts';
import type { Destination, DestinationContext, DestinationSummary, Lead, WriteResult } from './destination.ts';
import { openTempFile, type TempFile } from './temp-file.ts';
import { type CellRules, type CellValue, cellValue, columnWidths, toExcel } from './xlsx-cells.ts';

export interface XlsxOptions {
  path: string;
  /** Default: the job name. Cut to Excel's 31 characters. */
  sheet?: string;
  /** Lead field names always written as text. */
  text?: string[];
  /** Lead field names whose plain decimal texts (DECIMAL, BIGINT sent as text) become numbers. */
  number?: string[];
}

/** Rows per sheet in Excel (1,048,576, Excel's specifications) minus the header row. */
export const LEADS_PER_SHEET = 1_048_575;
/** Excel's limit on a sheet name's length. */
export const SHEET_NAME_CHARS = 31;

type Book = ExcelJS.stream.xlsx.WorkbookWriter;

/**
 * The xlsx destination. `leadsPerSheet` is Excel's limit; tests pass a small one.
 * Errors: RunError naming the file and the cause (folder not writable, disk full).
 */
export function xlsxDestination(options: XlsxOptions, leadsPerSheet = LEADS_PER_SHEET): Destination {
  let file: TempFile | undefined;
  let book: Book | undefined;
  let zipped: Promise<void> | undefined;
  let sheet: ExcelJS.Worksheet | undefined;
  let ctx: DestinationContext;
  let rules: CellRules;
  let finalPath = '';
  let written = 0;
  let onSheet = 0;
  let sheets = 0;
  let widths: number[] | undefined;

  // Each sheet starts with the header; widths come from the first rows and stay for every sheet.
  const addSheet = (firstRows: CellValue[][]) => {
    sheet?.commit();
    sheets += 1;
    widths ??= columnWidths(ctx.fields, firstRows);
    sheet = book!.addWorksheet(sheetName(options.sheet ?? ctx.job, sheets), {
      views: [{ state: 'frozen', ySplit: 1 }],
    });
    sheet.columns = ctx.fields.map((_, i) => ({ width: widths![i], style: rules.text.has(i) ? { numFmt: '@' } : {} }));
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
      const { default: Excel } = await import('exceljs');
      file = await openTempFile(finalPath, context.runId, 'xlsx');
      const out = zipSink(file);
      zipped = out.done;
      // Inline strings, not the shared-string table: that table would hold every distinct
      // text (every phone number) in memory until the end.
      book = new Excel.stream.xlsx.WorkbookWriter({ stream: out.stream, useStyles: true, useSharedStrings: false });
    },
    async write(batch: Lead[]): Promise<WriteResult> {
      const rows = batch.map((lead) => lead.values.map((v, i) => cellValue(v, i, rules)));
      if (!sheet) addSheet(rows);
      for (const row of rows) {
        if (onSheet === leadsPerSheet) addSheet(rows);
        sheet!.addRow(row.map(toExcel)).commit();
        onSheet += 1;
      }
      written += batch.length;
      // Let the zip reach the file before taking more (and surface a write error now).
      await Promise.race([zipped, sheetDrained(sheet!)]);
      return { delivered: batch, failed: [] };
    },
    async close(outcome): Promise<DestinationSummary> {
      if (file && outcome === 'ok') {
        try {
          if (!sheet) addSheet([]);
          sheet!.commit();
          await Promise.all([book!.commit(), zipped]);
        } catch (err) {
          await file.discard();
          throw err;
        }
        await file.commit();
      } else if (file) {
        (book as unknown as { zip?: { abort(): void } } | undefined)?.zip?.abort();
        await file.discard();
      }
      return { type: 'xlsx', target: finalPath, delivered: outcome === 'ok' ? written : 0, failed: 0 };
    },
  };
  return self;
}

/** XML of a sheet that may wait for the zip's deflate before the next batch is taken: 4 MB. */
const SHEET_BACKLOG_BYTES = 4 * 1024 * 1024;

/** The zip entry a sheet writes into: archiver's PassThrough (readable-stream), its buffer state. */
interface ZipEntryInput {
  _writableState?: { length: number; needDrain: boolean };
  once(event: 'drain', listener: () => void): unknown;
}

// exceljs's sheet stream (StreamBuf) hands every 64 KB of XML to the zip entry without waiting
// for it (exceljs issues #1894, #2916): when rows come faster than deflate, the XML piles up in
// the entry's PassThrough (about 500 MB for 1M leads). So each batch waits while that backlog
// is over SHEET_BACKLOG_BYTES, which keeps memory flat whatever the number of leads. Before
// archiver takes the entry there is nothing to wait for: the XML stays in exceljs's own buffer.
async function sheetDrained(sheet: ExcelJS.Worksheet): Promise<void> {
  const { pipes } = (sheet as unknown as { stream: { pipes: ZipEntryInput[] } }).stream;
  for (const entry of pipes) {
    const state = entry._writableState;
    if (state && state.length > SHEET_BACKLOG_BYTES && state.needDrain)
      await new Promise<void>((next) => entry.once('drain', next));
  }
  await new Promise((next) => setImmediate(next));
}

// The stream exceljs writes its zip into: every chunk goes to the temporary file with its
// backpressure; `done` settles when the zip is complete, or rejects with the first write error.
function zipSink(file: TempFile): { stream: Writable; done: Promise<void> } {
  let fail: (err: Error) => void = () => {};
  let finish: () => void = () => {};
  const done = new Promise<void>((ok, ko) => {
    finish = ok;
    fail = ko;
  });
  done.catch(() => {}); // observed by write() and close()
  const stream = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      file.write(chunk).then(() => callback(), callback);
    },
  });
  stream.on('error', fail);
  stream.on('finish', finish);
  return { stream, done };
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
