// YAML values reach SQL as the user wrote them. The YAML 1.2 core schema reads a plain
// (unquoted) 02138 as the number 2138, 0x1F as 31, 1e3 as 1000, .inf as Infinity and
// 12345678901234567890 as a rounded double; YAML 1.1 readers (and PostgreSQL, for a boolean
// column) take yes/no/on/off as booleans where this parser keeps text. Each of those would
// bind something other than what was typed, so:
//   - a plain integer without leading zeros stays a number; beyond ±2^53 it becomes a BigInt,
//     bound exactly (every driver here binds BigInt as its digits);
//   - a plain decimal without exponent or leading zeros, of at most 15 significant digits
//     (what a double keeps exactly), stays a number;
//   - any other plain scalar that YAML would turn into a number, and plain yes/no/on/off/y/n,
//     is rejected at its line and column, with the value as typed and a hint to quote it.
// Explicitly tagged scalars (!!str 02138, !!int 0x1F) are the user's own choice and kept.
import { type Scalar, visit } from 'yaml';
import type { SpecIssue } from '../errors.ts';
import { ancestorPath, formatKeyPath, type YamlSource } from './yaml-source.ts';

const PLAIN_INTEGER = /^-?(0|[1-9][0-9]*)$/;
const PLAIN_DECIMAL = /^-?(0|[1-9][0-9]*)\.[0-9]+$/;
const YAML11_BOOLEAN = /^(y|Y|yes|Yes|YES|n|N|no|No|NO|on|On|ON|off|Off|OFF)$/;
/** Significant digits a double round-trips exactly (DBL_DIG). */
const DOUBLE_DIGITS = 15;

/**
 * The number a text denotes when it is written as a plain number that is kept exactly:
 * a safe integer as a number, a larger integer as a BigInt, a short decimal as a number.
 * undefined for anything else (leading zeros, exponents, hex, signs, spaces, long decimals).
 */
export function plainNumber(text: string): number | bigint | undefined {
  if (PLAIN_INTEGER.test(text)) {
    const n = Number(text);
    return Number.isSafeInteger(n) ? n : BigInt(text);
  }
  if (PLAIN_DECIMAL.test(text) && text.replace(/[-.]/g, '').replace(/^0+/, '').length <= DOUBLE_DIGITS)
    return Number(text);
  return undefined;
}

/** Checks every plain scalar value of the document; see the file comment for the rule. */
export function checkScalarFidelity(source: YamlSource, issues: SpecIssue[]): void {
  visit(source.doc, {
    Scalar(key, node: Scalar, ancestors) {
      if (key === 'key' || node.type !== 'PLAIN' || node.tag !== undefined) return;
      if ((node as Scalar & { interpolated?: boolean }).interpolated) return;
      const typed = node.source;
      if (typeof typed !== 'string') return;
      const problem = problemOf(node, typed);
      if (problem === undefined) return;
      const pos = node.range ? source.lines.linePos(node.range[0]) : undefined;
      const path = formatKeyPath(ancestorPath([...ancestors, node]));
      issues.push({ file: source.file, line: pos?.line, column: pos?.col, key: path || undefined, message: problem });
    },
  });
}

// Fixes a plain number in place (BigInt beyond 2^53) or says why the scalar is ambiguous.
function problemOf(node: Scalar, typed: string): string | undefined {
  if (typeof node.value === 'number') {
    const exact = plainNumber(typed);
    if (exact !== undefined) {
      node.value = exact;
      return undefined;
    }
    const read = String(node.value);
    const alternative = Number.isSafeInteger(node.value) ? `, or write ${read} for the number` : '';
    return `${typed} would be read by YAML as the number ${read}, not as typed: quote it ("${typed}") to keep the text${alternative}`;
  }
  if (typeof node.value === 'string' && YAML11_BOOLEAN.test(typed))
    return `${typed} is a boolean to some readers and text to others: write true or false for a boolean, or quote it ("${typed}") for text`;
  return undefined;
}
