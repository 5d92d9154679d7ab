// `${VAR}` and `${VAR:-default}` anywhere in a job or connections file. Done on the parsed
// document (not the raw text) so a value can never inject YAML structure, and so an unset
// variable is reported at its own line and column.
import { visit, isScalar, isPair, type Scalar } from 'yaml';
import type { SpecIssue } from '../errors.ts';
import { issueAt, type YamlSource } from './yaml-source.ts';

const VARIABLE = /\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g;

/** Replaces variables in place; returns the names of variables whose values were used (for redaction). */
export function interpolateEnv(source: YamlSource, env: NodeJS.ProcessEnv, issues: SpecIssue[]): void {
  visit(source.doc, {
    Scalar(key, node: Scalar, ancestors) {
      if (typeof node.value !== 'string' || !node.value.includes('${')) return;
      const isMapKey = key === 'key';
      const replaced = node.value.replace(VARIABLE, (_m, name: string, fallback: string | undefined) => {
        const value = env[name];
        if (value !== undefined && value !== '') return value;
        if (fallback !== undefined) return fallback;
        issues.push(
          issueAt(
            source,
            pathOf(ancestors, isMapKey ? undefined : node),
            `environment variable ${name} is not set (use \${${name}:-default} for a default)`,
          ),
        );
        return '';
      });
      // A whole-value variable that looks like a number (a port, a limit) becomes one.
      const whole = /^\$\{[^}]+\}$/.test(node.value);
      node.value = whole && /^-?\d+(\.\d+)?$/.test(replaced) ? Number(replaced) : replaced;
    },
  });
}

function pathOf(ancestors: readonly unknown[], _node?: unknown): (string | number)[] {
  const path: (string | number)[] = [];
  for (let i = 0; i < ancestors.length; i++) {
    const a = ancestors[i];
    if (isPair(a) && isScalar(a.key)) path.push(String(a.key.value));
    else if (a && typeof a === 'object' && 'items' in a && Array.isArray((a as { items: unknown[] }).items)) {
      const next = ancestors[i + 1];
      const items = (a as { items: unknown[] }).items;
      if (next !== undefined && !isPair(next)) path.push(items.indexOf(next));
    }
  }
  return path;
}
