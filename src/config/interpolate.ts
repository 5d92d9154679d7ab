// `${VAR}` and `${VAR:-default}` anywhere in a job or connections file. Done on the parsed
// document (not the raw text) so a value can never inject YAML structure, and so an unset
// variable is reported at its own line and column.
//
// An interpolated value keeps its text: inside a quoted YAML value it is always text
// (`phone: "${PHONE}"` with PHONE=0138 binds '0138'); a plain, unquoted whole-value variable
// becomes a number only when its text is a plain number that survives the conversion
// (plainNumber in scalar-fidelity.ts), so no character is ever lost.
import { type Scalar, visit } from 'yaml';
import type { SpecIssue } from '../errors.ts';
import { plainNumber } from './scalar-fidelity.ts';
import { ancestorPath, issueAt, type YamlSource } from './yaml-source.ts';

const VARIABLE = /\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g;

/** Replaces variables in place; every unset or unterminated variable becomes an issue at its value. */
export function interpolateEnv(source: YamlSource, env: NodeJS.ProcessEnv, issues: SpecIssue[]): void {
  visit(source.doc, {
    Scalar(key, node: Scalar, ancestors) {
      if (typeof node.value !== 'string' || !node.value.includes('${')) return;
      const path = key === 'key' ? ancestorPath(ancestors) : ancestorPath([...ancestors, node]);
      const original = node.value;
      // `${` with no closing brace after it: a variable cut short, never a literal.
      const unterminated = /\$\{[^}]*$/.exec(original);
      if (unterminated) {
        const rest = unterminated[0].slice(0, 20);
        issues.push(
          issueAt(source, path, `"${rest}" is an unterminated variable: write \${NAME} or \${NAME:-default}`),
        );
        return;
      }
      const replaced = original.replace(VARIABLE, (_m, name: string, fallback: string | undefined) => {
        const value = env[name];
        if (value !== undefined && value !== '') return value;
        if (fallback !== undefined) return fallback;
        issues.push(
          issueAt(source, path, `environment variable ${name} is not set (use \${${name}:-default} for a default)`),
        );
        return '';
      });
      // A whole-value variable in a plain (unquoted) scalar that is a plain number (a port,
      // a limit) becomes that number; anything else, and anything quoted, stays text.
      const whole = /^\$\{[^}]+\}$/.test(original);
      const quoted = node.type === 'QUOTE_DOUBLE' || node.type === 'QUOTE_SINGLE' || node.type?.startsWith('BLOCK');
      node.value = whole && !quoted && key !== 'key' ? (plainNumber(replaced) ?? replaced) : replaced;
      // Marked so that the scalar check does not read `${X}` as the value's typed text.
      (node as Scalar & { interpolated?: boolean }).interpolated = true;
    },
  });
}
