// Where the run ledger lives: --state, else $CRM_LEADS_STATE, else .crm-leads/state.db in the
// current directory. A path (or sqlite:PATH) is one SQLite file for one machine; a mysql://,
// mariadb:// or postgres:// URL is a ledger that many workers share.
import { resolve } from 'node:path';
import type { Knex } from 'knex';
import { SpecError } from '../errors.ts';
import { registerSecret } from '../secrets.ts';
import { decodeUrlPart, maskUrlLogin, parseLoginUrl } from '../url-login.ts';

export type StateDialect = 'sqlite' | 'mysql' | 'postgres';

export interface StateLocation {
  dialect: StateDialect;
  /** Safe to print: credentials removed. */
  display: string;
  /** For SQLite: the absolute file path. */
  file?: string;
  knexConfig: Knex.Config;
}

export const DEFAULT_STATE_PATH = '.crm-leads/state.db';

/**
 * Where the run ledger lives, from --state (`explicit`), else $CRM_LEADS_STATE, else
 * DEFAULT_STATE_PATH under `cwd`. A server URL's password is registered as a secret.
 * @throws SpecError (file "--state") for an unknown scheme or an unreadable URL.
 */
export function resolveStateLocation(
  explicit: string | undefined,
  env = process.env,
  cwd = process.cwd(),
): StateLocation {
  const text = (explicit ?? env.CRM_LEADS_STATE ?? '').trim() || DEFAULT_STATE_PATH;
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(text)?.[1]?.toLowerCase();
  // A server URL may carry a password: registered so that no printed line shows it. So is all
  // of what stands before its last '@' (user and password as typed, even unencoded), and every
  // piece of the password as a parser might cut it at '@', '#', '/', '?' or ':'. The user name
  // alone is not a secret: masking it would hide every "root" in paths and messages.
  // The URL as a whole is not registered: one without a password would print as "***".
  if (scheme && scheme !== 'sqlite' && scheme !== 'file') {
    const credentials = /^[a-z][a-z0-9+.-]*:\/\/(.*)@/is.exec(text)?.[1];
    const colon = credentials?.indexOf(':') ?? -1;
    if (credentials && colon >= 0) {
      const password = credentials.slice(colon + 1);
      registerSecret(credentials);
      registerSecret(password);
      registerSecret(decodeUrlPart(password));
      for (const part of password.split(/[:@#/?]/)) registerSecret(part);
    }
    registerQuerySecrets(text);
  }
  if (scheme === 'mysql' || scheme === 'mariadb') return mysqlLocation(text);
  if (scheme === 'postgres' || scheme === 'postgresql') return postgresLocation(text);
  // Windows drive letters look like a scheme (C:\...): only sqlite: and file: are stripped.
  let path = text;
  if (scheme === 'sqlite' || scheme === 'file') path = text.replace(/^(sqlite|file):(\/\/)?/i, '');
  else if (scheme && scheme.length > 1)
    throw stateError(
      `"${maskUrlLogin(text)}" is not a state location ("${scheme}:" is not a ledger): use a file path, sqlite:PATH, mysql://… or postgres://…`,
    );
  return sqliteLocation(resolve(cwd, path));
}

function mysqlLocation(text: string): StateLocation {
  const url = parseUrl(text);
  // Without one, every statement fails at run time with "No database selected".
  const database = decodeUrlPart(url.pathname.replace(/^\//, ''));
  if (!database) throw stateError(`"${maskUrlLogin(text)}": name the database (mysql://user@host:port/DB)`);
  return {
    dialect: 'mysql',
    display: displayUrl(url),
    knexConfig: {
      client: 'mysql2',
      connection: {
        host: url.hostname || '127.0.0.1',
        port: Number(url.port || 3306),
        // parseUrl() has checked that both decode.
        user: decodeUrlPart(url.username),
        password: decodeUrlPart(url.password),
        database,
        charset: 'utf8mb4',
        supportBigNumbers: true,
        bigNumberStrings: false,
        connectTimeout: 10000,
      },
      // READ COMMITTED: InnoDB's default REPEATABLE READ takes gap locks on every range a
      // DELETE or UPDATE scans, so concurrent runs' claims on nearby keys deadlock far more often.
      pool: { min: 0, max: 2, afterCreate: readCommitted },
    },
  };
}

function postgresLocation(text: string): StateLocation {
  const url = parseUrl(text);
  return {
    dialect: 'postgres',
    display: displayUrl(url),
    knexConfig: {
      client: 'pg',
      connection: { connectionString: text, connectionTimeoutMillis: 10000 },
      pool: { min: 0, max: 2 },
    },
  };
}

function sqliteLocation(file: string): StateLocation {
  return {
    dialect: 'sqlite',
    display: file,
    file,
    knexConfig: {
      client: 'better-sqlite3',
      connection: { filename: file },
      useNullAsDefault: true,
      // One connection: SQLite serialises writers anyway; other processes wait (busy_timeout).
      pool: {
        min: 1,
        max: 1,
        afterCreate: (conn: { pragma(s: string): unknown }, done: (err: Error | null, conn: unknown) => void) => {
          try {
            conn.pragma('busy_timeout = 10000');
            conn.pragma('journal_mode = WAL');
            conn.pragma('synchronous = NORMAL');
            done(null, conn);
          } catch (err) {
            done(err as Error, conn);
          }
        },
      },
    },
  };
}

// A password that is not percent-encoded makes the URL ambiguous, and any part of it could be a
// piece of the password: such a URL is never printed, not even masked. An unambiguous one is
// named as typed, its password masked.
function parseUrl(text: string): URL {
  const unparsable = stateError(
    'the URL could not be parsed unambiguously: percent-encode special characters in the user name and password (@ as %40, # as %23, / as %2F, : as %3A, ? as %3F)',
  );
  // '#' in an unencoded password starts a fragment; a second '@' in the authority is one too many.
  const authority = text.slice(text.indexOf('//') + 2).split(/[/?#]/)[0];
  if ((authority.match(/@/g) ?? []).length > 1 || text.includes('#')) throw unparsable;
  const parsed = parseLoginUrl(text);
  if ('problem' in parsed)
    throw parsed.problem === 'not a URL' ? unparsable : stateError(`"${maskUrlLogin(text)}": ${parsed.problem}`);
  return parsed.url;
}

// No password, and no query: a connection string's query may carry one (password=, sslkey=).
function displayUrl(url: URL): string {
  const copy = new URL(url.href);
  if (copy.password) copy.password = '***';
  copy.search = '';
  return copy.href;
}

// A postgres connection string may carry secrets in its query (?password=…&sslpassword=…).
function registerQuerySecrets(text: string): void {
  const query = text.split('?').slice(1).join('?').split('#')[0];
  for (const [name, value] of new URLSearchParams(query))
    if (/pass|secret|token|key/i.test(name)) {
      registerSecret(value);
      registerSecret(encodeURIComponent(value));
    }
}

function stateError(message: string): SpecError {
  return new SpecError([{ file: '--state', message }]);
}

type PoolConnection = { query(sql: string, cb: (err: Error | null) => void): void };

function readCommitted(conn: PoolConnection, done: (err: Error | null, conn: PoolConnection) => void): void {
  conn.query('SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED', (err) => done(err, conn));
}
