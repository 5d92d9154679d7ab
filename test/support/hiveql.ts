// HiveQL as Hive's own grammar reads it (dt-sql-parser's HiveSQL, an ANTLR port of Hive's
// grammar): every statement the Hive renderer produces in the tests is checked with it.
import { HiveSQL } from 'dt-sql-parser';

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
