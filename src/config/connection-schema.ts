// connections.yaml: name -> connection. Passwords and URLs are secrets: they are collected
// for redaction and never printed.
import { z } from 'zod';
import { MAX_DURATION_SECONDS, parseDuration } from './duration.ts';
import { maskUrlLogin, parseLoginUrl } from '../url-login.ts';

const port = z.coerce.number().int().positive().max(65535);
const optionalText = z.union([z.string(), z.number()]).transform(String).optional();
// Kept as written ('30s'); checked here so that a typo is an invalid connections file (exit 2).
const durationText = z.string().superRefine((s, ctx) => {
  const seconds = parseDuration(s) ?? 0;
  if (seconds <= 0 || seconds > MAX_DURATION_SECONDS)
    ctx.addIssue({
      code: 'custom',
      message: `"${s}" is not a duration: write a whole number and a unit s, m, h or d up to 3660d, e.g. 30s`,
    });
});

/** Generous: a warehouse query may sort for many minutes before its first row. */
export const DEFAULT_READ_TIMEOUT = '30m';

const sqlite = z.strictObject({ type: z.literal('sqlite'), path: z.string().min(1) });
// MySQL and PostgreSQL take the same server address keys (or one url).
// A url's login is decoded by the driver at connect time: one that cannot be is refused here.
const serverUrl = z.string().superRefine((u, ctx) => {
  const parsed = parseLoginUrl(u);
  if ('problem' in parsed) ctx.addIssue({ code: 'custom', message: `"${maskUrlLogin(u)}": ${parsed.problem}` });
});
const serverAddress = {
  url: serverUrl.optional(),
  host: z.string().optional(),
  port: port.optional(),
  user: optionalText,
  password: optionalText,
  database: z.string().optional(),
  // The longest wait for the server's next rows (time to the first row included) before the
  // connection counts as lost: a silent server or link must not hang a run forever.
  read_timeout: durationText.optional(),
};
const mysql = z.strictObject({ type: z.enum(['mysql', 'mariadb']), ...serverAddress });
const postgres = z.strictObject({
  type: z.enum(['postgres', 'postgresql']),
  ...serverAddress,
  schema: z.string().optional(),
});
const hive = z.strictObject({
  type: z.literal('hive'),
  host: z.string(),
  port: port.default(10000),
  database: z.string().default('default'),
  auth: z.enum(['nosasl', 'plain', 'kerberos']).default('nosasl'),
  user: optionalText,
  password: optionalText,
  transport: z.enum(['binary', 'http']).default('binary'),
  path: z.string().default('/cliservice'),
  tls: z.boolean().default(false),
  connect_timeout: durationText.default('30s'),
  query_timeout: durationText.default('1h'),
  hive_conf: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()]).transform(String)).default({}),
  fetch_size: z.number().int().positive().default(10000),
  kerberos_service: z.string().optional(),
  // The longest wait for any answer of HiveServer2 (a status call of a running query at least
  // HIVE_STATUS_HOLD_MIN: the server holds those by design); query_timeout bounds the query.
  read_timeout: durationText.optional(),
});
const oracle = z.strictObject({
  type: z.literal('oracle'),
  connect_string: z.string().optional(),
  host: z.string().optional(),
  port: port.default(1521),
  service_name: z.string().optional(),
  user: optionalText,
  password: optionalText,
  fetch_array_size: z.number().int().positive().default(1000),
  read_timeout: durationText.optional(),
});

export const connectionSchema = z.discriminatedUnion('type', [sqlite, mysql, postgres, hive, oracle]);
export const connectionsSchema = z.record(
  z.string().regex(/^[A-Za-z0-9_-]+$/, { message: 'a connection name is letters, digits, _ and -' }),
  connectionSchema,
);

export type ConnectionSpec = z.output<typeof connectionSchema>;
export type Dialect = 'sqlite' | 'mysql' | 'postgres' | 'oracle' | 'hive';

/** A MySQL or PostgreSQL server written as fields (not `url`): its address and login, with the local defaults. */
export function serverFields(
  spec: Pick<z.output<typeof mysql>, 'host' | 'port' | 'user' | 'password' | 'database'>,
  defaultPort: number,
) {
  const { host = '127.0.0.1', port = defaultPort, user, password, database } = spec;
  return { host, port, user, password, database };
}

export function dialectOf(connection: ConnectionSpec): Dialect {
  switch (connection.type) {
    case 'mariadb':
      return 'mysql';
    case 'postgresql':
      return 'postgres';
    default:
      return connection.type;
  }
}

export const CONNECTION_KEYS = [
  'type',
  'path',
  'url',
  'host',
  'port',
  'user',
  'password',
  'database',
  'schema',
  'auth',
  'transport',
  'tls',
  'connect_timeout',
  'query_timeout',
  'hive_conf',
  'fetch_size',
  'kerberos_service',
  'connect_string',
  'service_name',
  'fetch_array_size',
  'read_timeout',
];
