// knex prefixes a failed statement's error message with the whole statement and its values
// ("insert into deliveries (...) values (...2,000 keys...) - SQLITE_FULL: ..."): one error line
// would print thousands of person keys. Statements are ours and never the cause a user can act
// on, so every knex instance of crm-leads takes them off again; the driver's message remains.
import type { Knex } from 'knex';

/**
 * Wraps a knex instance so that query errors carry only the driver's message (and code),
 * never the SQL text or its bound values. Returns the same instance.
 */
export function withoutSqlInErrors(knex: Knex): Knex {
  knex.on('query-error', (err: Error, query: { sql?: string }) => {
    const prefix = query?.sql ? `${query.sql} - ` : undefined;
    if (prefix && err?.message?.startsWith(prefix)) err.message = err.message.slice(prefix.length);
  });
  return knex;
}

// knex's own logger writes pool and connection failures to the console (stdout), stack and
// driver frames included ("Acquire connection error: Error: connect ECONNREFUSED ... at ..."),
// next to the JSON summary. Each failure reaches the caller as an error anyway, which the CLI
// prints as one line; the logger's copy is dropped.
const SILENT = () => {};
const SILENT_LOG = { warn: SILENT, error: SILENT, deprecate: SILENT, debug: SILENT };

/**
 * knex config that makes the prefix exactly the statement's SQL (no values), so it can be
 * removed, and silences knex's console logger (its failures are thrown to the caller too).
 */
export const NO_VALUES_IN_ERRORS = { compileSqlOnError: false, log: SILENT_LOG } as const;
