// Statements HiveServer2 answers itself instead of handing to the query engine. They are not
// rewrites: nothing is sent to MariaDB for SET, and USE runs on MariaDB verbatim (or, for
// Hive's `default`, maps to the server's database).

export type SessionCommand =
  | { kind: 'set'; key: string; value: string }
  | { kind: 'show'; key: string | null }
  | { kind: 'use'; database: string };

/** Hive's own database name; sessions start in it, and here it means the server's MariaDB database. */
export const HIVE_DEFAULT_DATABASE = 'default';

function withoutTerminator(statement: string): string {
  return statement.trim().replace(/;\s*$/, '').trim();
}

/** `hiveconf:` is the implicit namespace of SET; other namespaces (hivevar:, system:) keep their prefix. */
export function confKey(key: string): string {
  return key.replace(/^hiveconf:/i, '');
}

export function parseSessionCommand(statement: string): SessionCommand | null {
  const text = withoutTerminator(statement);
  const use = /^use\s+(`?)([^`\s]+)\1$/i.exec(text);
  if (use) return { kind: 'use', database: use[2] };
  const set = /^set(?:\s+([\s\S]*))?$/i.exec(text);
  if (!set) return null;
  const rest = (set[1] ?? '').trim();
  if (rest === '' || rest === '-v') return { kind: 'show', key: null };
  const eq = rest.indexOf('=');
  if (eq < 0) return { kind: 'show', key: confKey(rest) };
  return { kind: 'set', key: confKey(rest.slice(0, eq).trim()), value: rest.slice(eq + 1).trim() };
}

/** Rows of Hive's one-column `set` result: `key=value`, or `key is undefined`. */
export function showRows(conf: ReadonlyMap<string, string>, key: string | null): string[] {
  if (key === null) return [...conf].map(([k, v]) => `${k}=${v}`).sort();
  return [conf.has(key) ? `${key}=${conf.get(key)}` : `${key} is undefined`];
}
