// The ONLY place where HiveQL text is changed before MariaDB runs it.
//
// MariaDB already reads most HiveQL as written (backtick identifiers, backslash escapes in
// string literals, TIMESTAMP '...' literals, INTERVAL arithmetic, a trailing ';'), so the
// list starts empty. Rules for Hive-only syntax may be added, under these constraints:
//   - a rule matches only text that is valid HiveQL, so an invalid statement still reaches
//     MariaDB unchanged and fails there, with MariaDB's message (no HiveQL error is hidden);
//   - a rule is as narrow as possible (anchored, token-bounded, never inside literals);
//   - a rule carries a comment saying which Hive construct it maps and why MariaDB needs it.
// SET/USE are not rewrites: HiveServer2 handles them itself, and so does session-commands.ts.

export interface RewriteRule {
  /** Short kebab-case name, reported when a test wants to know which rules fired. */
  name: string;
  /** Returns the rewritten statement, or the same string when the rule does not apply. */
  apply(statement: string): string;
}

export const HIVEQL_REWRITES: readonly RewriteRule[] = [
  // (none needed yet; add named rules here, each with a comment)
];

export interface RewriteResult {
  sql: string;
  applied: string[];
}

export function applyRewrites(statement: string, rules: readonly RewriteRule[] = HIVEQL_REWRITES): RewriteResult {
  let sql = statement;
  const applied: string[] = [];
  for (const rule of rules) {
    const next = rule.apply(sql);
    if (next !== sql) applied.push(rule.name);
    sql = next;
  }
  return { sql, applied };
}
