// HiveQL literals. HiveServer2 has no bound parameters, so every value of a job is written into
// the statement text; these functions are the only way a value gets there.
//
// How Hive reads a string literal (HiveLexer StringLiteral, then
// BaseSemanticAnalyzer.unescapeSQLString):
//   - the lexer: a quote, then any char but ' and \ or a backslash and any char, then a quote.
//     A doubled quote is NOT an escape: 'it''s' is two adjacent literals, read as "its". So a
//     quote is written \'.
//   - unescaping: \uXXXX is a UTF-16 unit, \ followed by [01][0-7][0-7] is an octal byte, then
//     \0 \' \" \b \n \r \t \Z \\ are the usual escapes, \% and \_ keep their backslash (for
//     LIKE), and \ before any other char is dropped. Every backslash of a value is written \\,
//     so no value can start a \u or octal escape, and we never write \0 ourselves (NUL is left
//     as it is) because a value's digits after it would turn it into an octal escape.
//   - before any of that, HiveServer2 substitutes ${var}, ${hiveconf:x}, ${env:X} anywhere in
//     the statement, inside literals too (hive.variable.substitute, on by default). A '{' right
//     after '$' is written \{ (read back as '{'), so no value ever forms "${".
// MariaDB, which runs the statements in the tests, reads every one of these escapes the same way.
const NAIVE_TIME = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/;

const ESCAPES: Record<string, string> = {
  '\\': '\\\\',
  "'": "\\'",
  '\n': '\\n',
  '\r': '\\r',
  '\t': '\\t',
  '\b': '\\b',
  '\x1a': '\\Z',
};

export function hiveString(value: string): string {
  let out = "'";
  let previous = '';
  for (const ch of value) {
    if (ch === '{' && previous === '$') out += '\\{';
    else out += ESCAPES[ch] ?? ch;
    previous = ch;
  }
  return out + "'";
}

/** Finite numbers only; NaN and Infinity have no HiveQL literal and would change the query. */
export function hiveNumber(value: number | bigint): string {
  if (typeof value === 'bigint') return value.toString();
  if (!Number.isFinite(value)) throw new Error(`${value} is not a finite number: it has no HiveQL literal`);
  // Negative numbers in parentheses: "- -1" and "--1" (a comment) can never arise from a splice.
  const text = String(value);
  return value < 0 ? `(${text})` : text;
}

export function hiveBoolean(value: boolean): string {
  return value ? 'TRUE' : 'FALSE';
}

/** A naive local time as a typed literal: TIMESTAMP 'YYYY-MM-DD HH:MM:SS'. */
export function hiveTimestamp(local: string): string {
  if (!NAIVE_TIME.test(local)) throw new Error(`"${local}" is not a naive time YYYY-MM-DD HH:MM:SS`);
  return `TIMESTAMP '${local}'`;
}

/** Any value a job can hold (string, number, boolean) as its HiveQL literal. */
export function hiveLiteral(value: unknown): string {
  switch (typeof value) {
    case 'string':
      return hiveString(value);
    case 'number':
    case 'bigint':
      return hiveNumber(value);
    case 'boolean':
      return hiveBoolean(value);
    default:
      throw new Error(`a ${value === null ? 'null' : typeof value} value has no HiveQL literal here`);
  }
}
