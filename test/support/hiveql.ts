// HiveQL as Hive's own grammar reads it (dt-sql-parser's HiveSQL, an ANTLR port of Hive's
// grammar): every statement the Hive renderer produces in the tests is checked with it.
// The Hive grammar alone: the package root would load (and vitest transform) every dialect's.
import { HiveSQL } from 'dt-sql-parser/dist/parser/hive/index.js';

const hive = new HiveSQL();

/** Syntax errors of one statement, as messages; [] when the grammar accepts it. */
export function hiveSyntaxErrors(sql: string): string[] {
  return hive.validate(sql).map((e) => `${e.startLine}:${e.startColumn} ${e.message}`);
}

export interface HiveToken {
  type: string;
  text: string;
}

/** The token stream (without whitespace and comments), with the parser's names for the types. */
export function hiveTokens(sql: string): HiveToken[] {
  const tokens = hive.getAllTokens(sql);
  const vocabulary = hive.createLexer(sql).vocabulary;
  return tokens
    .filter((t) => t.channel === 0)
    .map((t) => ({ type: vocabulary.getSymbolicName(t.type) ?? String(t.type), text: t.text ?? '' }));
}

/**
 * Hive's BaseSemanticAnalyzer.unescapeSQLString, ported line by line: the value Hive reads from
 * a string literal token (quotes included). The tests use it to prove that every value arrives
 * in Hive exactly as the job wrote it.
 */
export function hiveUnescape(b: string): string {
  let enclosure: string | null = null;
  let sb = '';
  for (let i = 0; i < b.length; i++) {
    const current = b[i];
    if (enclosure === null) {
      if (current === "'" || current === '"') enclosure = current;
      continue; // ignore all other chars outside the enclosure
    }
    if (current === enclosure) {
      enclosure = null;
      continue;
    }
    if (current === '\\' && i + 6 < b.length && b[i + 1] === 'u') {
      let code = 0;
      for (let j = 0; j < 4; j++) code = (code << 4) + javaDigit16(b[i + 2 + j]);
      sb += String.fromCharCode(code & 0xffff);
      i += 5;
      continue;
    }
    if (current === '\\' && i + 4 < b.length) {
      const [i1, i2, i3] = [b[i + 1], b[i + 2], b[i + 3]];
      if (i1 >= '0' && i1 <= '1' && i2 >= '0' && i2 <= '7' && i3 >= '0' && i3 <= '7') {
        sb += String.fromCharCode(Number(i3) + Number(i2) * 8 + Number(i1) * 64);
        i += 3;
        continue;
      }
    }
    if (current === '\\' && i + 2 < b.length) {
      const n = b[i + 1];
      const escapes: Record<string, string> = {
        '0': '\0',
        "'": "'",
        '"': '"',
        b: '\b',
        n: '\n',
        r: '\r',
        t: '\t',
        Z: '\u001A',
        '\\': '\\',
        '%': '\\%',
        _: '\\_',
      };
      sb += escapes[n] ?? n;
      i++;
    } else {
      sb += current;
    }
  }
  return sb;
}

function javaDigit16(ch: string): number {
  const d = parseInt(ch, 16);
  return Number.isNaN(d) ? -1 : d;
}
