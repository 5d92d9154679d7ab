// Oracle through node-oracledb in Thin mode (pure JavaScript: no Instant Client; initOracleClient
// is never called). Rows stream through queryStream with fetch_array_size rows per round trip;
// the module-wide oracledb.maxRows is never touched (it silently truncates every query).
//
// Time values: the SQL compares time columns with TO_DATE(:n, 'YYYY-MM-DD HH24:MI:SS') (see
// naiveTime in src/sql/time-arithmetic.ts), so no bound string depends on the session's NLS
// settings. Going out, DATE and TIMESTAMP columns are fetched as text in the same naive format
// (the session formats are set at connect), as the other warehouses give them: a JS Date would
// pass through the Node process's time zone. NUMBER comes as text and becomes a JS number only
// when it is an integer that a number holds exactly, so keys beyond 2^53 keep every digit.
import { CancelledError, RunError } from '../errors.ts';
import type { ConnectionSpec } from '../config/connection-schema.ts';
import type { SqlQuery } from '../sql/render-query.ts';
import { batchRows } from './batch-rows.ts';
import { DEFAULT_BATCH_SIZE, loadDriver, type Row, type StreamOptions, type Warehouse } from './warehouse.ts';

type OracleSpec = Extract<ConnectionSpec, { type: 'oracle' }>;

// The parts of node-oracledb used here (the package ships no type declarations).
interface OracleConnection {
  execute(sql: string, binds?: unknown[], options?: object): Promise<{ rows?: Row[] }>;
  queryStream(
    sql: string,
    binds: unknown[],
    options: object,
  ): NodeJS.ReadableStream & AsyncIterable<Row> & { destroy(): void };
  break(): Promise<void>;
  close(): Promise<void>;
  oracleServerVersionString: string;
}
type DbType = unknown;
interface OracleDriver {
  getConnection(attrs: {
    user?: string;
    password?: string;
    connectString: string;
    connectTimeout?: number;
  }): Promise<OracleConnection>;
  thin: boolean;
  OUT_FORMAT_ARRAY: number;
  STRING: DbType;
  DB_TYPE_NUMBER: DbType;
  DB_TYPE_DATE: DbType;
  DB_TYPE_TIMESTAMP: DbType;
  DB_TYPE_TIMESTAMP_TZ: DbType;
  DB_TYPE_TIMESTAMP_LTZ: DbType;
  DB_TYPE_CLOB: DbType;
  DB_TYPE_NCLOB: DbType;
}

const NAIVE_FORMAT = 'YYYY-MM-DD HH24:MI:SS';
const SESSION_SETUP = `ALTER SESSION SET NLS_DATE_FORMAT = '${NAIVE_FORMAT}' NLS_TIMESTAMP_FORMAT = '${NAIVE_FORMAT}' NLS_NUMERIC_CHARACTERS = '.,'`;
/** Seconds to establish the connection (TCP and the Oracle handshake). */
const CONNECT_TIMEOUT_S = 20;

/** host:port/service_name, or the connect_string as written (an Easy Connect string or a TNS descriptor). */
export function oracleConnectString(name: string, spec: OracleSpec): string {
  if (spec.connect_string) return spec.connect_string;
  if (spec.host && spec.service_name) return `${spec.host}:${spec.port}/${spec.service_name}`;
  throw new RunError(
    `connection ${name}: an oracle connection needs connect_string (host:port/service), or host and service_name`,
  );
}

export async function openOracle(name: string, spec: OracleSpec): Promise<Warehouse> {
  const mod = await loadDriver<OracleDriver & { default?: OracleDriver }>('oracledb', name);
  const oracledb = mod.default ?? mod;
  let conn: OracleConnection;
  try {
    conn = await oracledb.getConnection({
      user: spec.user,
      password: spec.password,
      connectString: oracleConnectString(name, spec),
      connectTimeout: CONNECT_TIMEOUT_S,
    });
  } catch (err) {
    throw oracleError(name, err);
  }
  try {
    await conn.execute(SESSION_SETUP);
  } catch (err) {
    await conn.close().catch(() => {});
    throw oracleError(name, err);
  }
  const fetchTypeHandler = typeHandler(oracledb);
  const binds = (query: SqlQuery) => clobForLongText(oracledb, query.bindings);
  const options = { outFormat: oracledb.OUT_FORMAT_ARRAY, fetchTypeHandler };
  let busy = false;
  return {
    dialect: 'oracle',
    async *stream(query: SqlQuery, opts: StreamOptions = {}) {
      const { signal } = opts;
      busy = true;
      const rows = conn.queryStream(query.sql, binds(query), {
        ...options,
        fetchArraySize: spec.fetch_array_size,
        prefetchRows: spec.fetch_array_size,
      });
      // A running statement is interrupted on the server (ORA-01013), not just abandoned.
      const onAbort = () => void conn.break().catch(() => {});
      signal?.addEventListener('abort', onAbort, { once: true });
      try {
        for await (const batch of batchRows(rows, opts.batchSize ?? DEFAULT_BATCH_SIZE, signal)) yield batch;
      } catch (err) {
        throw signal?.aborted ? new CancelledError(`${name}: query cancelled`) : oracleError(name, err);
      } finally {
        signal?.removeEventListener('abort', onAbort);
        rows.destroy();
        busy = false;
      }
    },
    async all(query) {
      try {
        return (await conn.execute(query.sql, binds(query), options)).rows ?? [];
      } catch (err) {
        throw oracleError(name, err);
      }
    },
    async version() {
      return `Oracle ${conn.oracleServerVersionString}`;
    },
    async close() {
      if (busy) await conn.break().catch(() => {});
      await conn.close().catch(() => {});
    },
  };
}

function typeHandler(oracledb: OracleDriver) {
  const asText = new Set([
    oracledb.DB_TYPE_DATE,
    oracledb.DB_TYPE_TIMESTAMP,
    oracledb.DB_TYPE_TIMESTAMP_TZ,
    oracledb.DB_TYPE_TIMESTAMP_LTZ,
    oracledb.DB_TYPE_CLOB,
    oracledb.DB_TYPE_NCLOB,
  ]);
  return (meta: { dbType?: DbType }): { type: DbType; converter?: (v: unknown) => unknown } | undefined => {
    if (meta.dbType === oracledb.DB_TYPE_NUMBER) return { type: oracledb.STRING, converter: numberFromText };
    if (meta.dbType !== undefined && asText.has(meta.dbType)) return { type: oracledb.STRING };
    return undefined;
  };
}

const INTEGER = /^-?\d+$/;

/** NUMBER text -> a JS number when it is an integer held exactly, else the text (decimals, huge keys). */
export function numberFromText(text: unknown): unknown {
  if (typeof text !== 'string') return text;
  if (INTEGER.test(text) && Number.isSafeInteger(Number(text))) return Number(text);
  return text;
}

/** One line: the ORA-/NJS- message without the help link and connection id, plus its cause. */
export function oracleError(name: string, err: unknown): RunError {
  if (err instanceof RunError) return err;
  const e = err as { message?: string; code?: string; errorNum?: number };
  const [first, ...rest] = (e.message ?? String(err))
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
  const message = first.replace(/\s*\(CONNECTION_ID=[^)]*\)/, '').replace(/\.$/, '');
  if (e.errorNum === 1013) return new CancelledError(`${name}: query cancelled`);
  const cause = rest.find((l) => !/^Help:/i.test(l));
  return new RunError(`${name}: ${message}${cause ? ` (${cause.replace(/^Cause:\s*/i, '')})` : ''}`, { cause: err });
}

// A long where list is one JSON document (src/sql/value-list.ts); a string bind beyond 32,767
// bytes is refused unless bound as a CLOB (ORA-01461), which JSON_TABLE reads as well.
function clobForLongText(oracledb: OracleDriver, bindings: unknown[]): unknown[] {
  return bindings.map((b) =>
    typeof b === 'string' && b.length > 8191 && Buffer.byteLength(b) > 32767
      ? { val: b, type: oracledb.DB_TYPE_CLOB }
      : b,
  );
}
