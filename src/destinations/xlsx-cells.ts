// How a lead value becomes a spreadsheet cell. The rule that keeps analysts' data intact:
// text stays text (01012345678, +8613800138000, 110101199003071234, 2024-01-02 and =1+1 are
// shown as typed: no number or date conversion, no formula), and only numbers the warehouse
// gave as numbers are numbers.
import { DateTime } from 'luxon';
import { NAIVE_FORMAT } from '../plan/time.ts';

/** A cell value as exceljs takes it: a string is a text cell, a number a number cell. */
export type CellValue = string | number | boolean | null | { richText: { text: string }[] };

// Excel shows 15 significant digits: a longer number would be silently rounded on screen
// (and on save), so such a text stays text even in a `number:` column.
const PLAIN_DECIMAL = /^-?(0|[1-9]\d*)(\.\d+)?$/;
const MAX_DIGITS = 15;

export interface CellRules {
  /** The job's timezone: times are written as `yyyy-mm-dd hh:mm:ss` text in it. */
  timezone: string;
  /** Column positions always written as text (the destination's `text:`). */
  text: ReadonlySet<number>;
  /** Column positions whose plain decimal texts become numbers (the destination's `number:`). */
  number: ReadonlySet<number>;
}

/** The cell for the value of column `index`. */
export function cellValue(value: unknown, index: number, rules: CellRules): CellValue {
  if (value === null || value === undefined) return null;
  if (typeof value === 'number') {
    if (!Number.isFinite(value) || rules.text.has(index)) return String(value);
    return value;
  }
  if (typeof value === 'string') {
    if (rules.number.has(index) && isExactNumber(value)) return Number(value);
    return value;
  }
  if (typeof value === 'bigint') return String(value); // beyond 2^53: every digit, as text
  if (typeof value === 'boolean') return rules.text.has(index) ? String(value) : value;
  if (value instanceof Date) return DateTime.fromJSDate(value, { zone: rules.timezone }).toFormat(NAIVE_FORMAT);
  if (Buffer.isBuffer(value)) return value.toString('utf8');
  return JSON.stringify(value);
}

// XML parsers turn a carriage return into a line feed, so OOXML writes it as _x000D_ (and a
// literal _xHHHH_ as _x005F_xHHHH_). exceljs decodes that escape only in inline (rich) text,
// so such text goes out as one plain run of inline text; everything else as a plain string.
const NEEDS_XSTRING_ESCAPE = /\r|_x[0-9A-Fa-f]{4}_/;

/** The value exceljs writes for a cell: text with a CR (or _xHHHH_) escaped as OOXML wants it. */
export function toExcel(value: CellValue): CellValue {
  if (typeof value !== 'string' || !NEEDS_XSTRING_ESCAPE.test(value)) return value;
  const text = value.replace(/_(x[0-9A-Fa-f]{4}_)/g, '_x005F_$1').replace(/\r/g, '_x000D_');
  return { richText: [{ text }] };
}

function isExactNumber(text: string): boolean {
  if (!PLAIN_DECIMAL.test(text)) return false;
  const digits = text.replace(/^-?0*/, '').replace('.', '').replace(/^0+/, '');
  return digits.length <= MAX_DIGITS;
}

/**
 * Display width of a text in Excel's column-width units (about one per Latin character; CJK
 * and other wide characters take two). Used for sensible column widths from the first rows.
 */
export function displayWidth(text: string): number {
  let width = 0;
  for (const ch of text) {
    const code = ch.codePointAt(0)!;
    width += code >= 0x1100 && isWide(code) ? 2 : 1;
  }
  return width;
}

// East Asian Wide and Fullwidth ranges (Unicode UAX #11), the ones lead data meets.
function isWide(code: number): boolean {
  return (
    (code >= 0x1100 && code <= 0x115f) ||
    (code >= 0x2e80 && code <= 0xa4cf) ||
    (code >= 0xac00 && code <= 0xd7a3) ||
    (code >= 0xf900 && code <= 0xfaff) ||
    (code >= 0xfe30 && code <= 0xfe4f) ||
    (code >= 0xff00 && code <= 0xff60) ||
    (code >= 0xffe0 && code <= 0xffe6) ||
    (code >= 0x20000 && code <= 0x3fffd)
  );
}

/** Column widths from the header and the first rows: wide enough to read, never huge. */
export function columnWidths(header: readonly string[], rows: readonly CellValue[][]): number[] {
  return header.map((name, i) => {
    let widest = displayWidth(name) + 2; // the autofilter button sits on the header
    for (const row of rows) {
      const v = row[i];
      if (v !== null && v !== undefined) widest = Math.max(widest, displayWidth(String(v)));
    }
    return Math.min(Math.max(widest + 1, 8), 60);
  });
}
