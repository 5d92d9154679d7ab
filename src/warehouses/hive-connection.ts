// Opening a HiveServer2 session with hive-driver: transport (binary or HTTP, with TLS), auth
// (NOSASL, SASL PLAIN / HTTP Basic, Kerberos through the optional `kerberos` package), the
// session's database and hive_conf, and a guard around every call.
//
// Why the guard: hive-driver (and thrift under it) report a broken connection as an 'error' or
// 'close' event and leave the pending call unanswered forever; NOSASL against a SASL server, or
// a host that drops packets, simply never answers. Every call is therefore raced against the
// connection's failure, a deadline and the abort signal, and the socket is destroyed on close
// so that nothing keeps the process alive.
import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import type { Socket } from 'node:net';
import { CancelledError, RunError } from '../errors.ts';
import type { ConnectionSpec } from '../config/connection-schema.ts';
import { formatDuration, parseDuration } from '../config/duration.ts';
import type { ResultSchema, RowSet } from './hive-rows.ts';
import { ReadTimeoutError } from './lost-connection.ts';
import { loadDriver } from './warehouse.ts';
import { setLongTimeout, type LongTimeout } from '../long-timers.ts';

export type HiveSpec = Extract<ConnectionSpec, { type: 'hive' }>;

/** The parts of hive-driver's HiveOperation this code uses. */
export interface HiveOperation {
  status(progress?: boolean): Promise<{ operationState?: number; errorMessage?: string | null }>;
  fetch(): Promise<unknown>;
  setMaxRows(rows: number): void;
  getSchema(): ResultSchema | null;
  getData(): RowSet[];
  flush(): void;
  hasMoreRows(): boolean;
  cancel(): Promise<unknown>;
  close(): Promise<unknown>;
}

export interface HiveSession {
  executeStatement(statement: string, options?: { runAsync?: boolean; queryTimeout?: unknown }): Promise<HiveOperation>;
  getInfo(infoType: number): Promise<{ getValue(): unknown }>;
  close(): Promise<unknown>;
}

/* eslint-disable @typescript-eslint/no-explicit-any */
type HiveDriverModule = any;

export interface GuardOptions {
  /** What the call does, for the timeout message. */
  what: string;
  timeoutMs: number;
  /** The connection's read_timeout: an answer later than this is a silent server (ReadTimeoutError). */
  silenceMs?: number;
  signal?: AbortSignal;
}

export interface HiveLink {
  session: HiveSession;
  types: { TOperationState: Record<string, number>; TGetInfoType: Record<string, number> };
  where: string;
  /** `call`, unless the connection fails, the deadline passes or the signal aborts first. */
  guard<T>(call: Promise<T>, options: GuardOptions): Promise<T>;
  /** Closes the session (bounded in time) and destroys the transport. Never throws. */
  close(): Promise<void>;
  /** Destroys the transport at once, without a goodbye: every pending call fails now. */
  destroy(): void;
}

export class HiveTimeoutError extends Error {}

const CLOSE_TIMEOUT_MS = 5000;
export const CLOSED_BY_SERVER = 'the server closed the connection';

export function seconds(text: string, key: string, name: string): number {
  const s = parseDuration(text);
  if (s === undefined || s <= 0)
    throw new RunError(`connection ${name}: ${key} "${text}" is not a duration such as 30s, 10m or 1h`);
  return s;
}

export async function connectHive(name: string, spec: HiveSpec): Promise<HiveLink> {
  const hive = await loadDriver<HiveDriverModule>('hive-driver', name);
  const { HiveClient, connections, thrift } = hive.default ?? hive;
  const T = thrift.TCLIService_types;
  const where = `${spec.host}:${spec.port}`;
  const connectSeconds = seconds(spec.connect_timeout, 'connect_timeout', name);
  const auth = await authentication(hive.default ?? hive, name, spec);

  // Rejects once the connection is gone; every guarded call races it.
  let closing = false;
  let fail!: (err: unknown) => void;
  const failure = new Promise<never>((_, reject) => (fail = reject));
  failure.catch(() => {});

  let socket: Socket | undefined;
  const agent = spec.transport === 'http' ? new (spec.tls ? HttpsAgent : HttpAgent)({ keepAlive: true }) : undefined;
  const capturing = {
    // The TCP socket exists once authenticate() has been called: keep it to destroy it later,
    // and notice a server that hangs up during the SASL exchange (hive-driver would wait on).
    authenticate(transport: { getTransport?: () => unknown }) {
      const result = auth.authenticate(transport);
      const s = transport.getTransport?.();
      if (s && typeof (s as Socket).destroy === 'function') {
        socket = s as Socket;
        socket.once('close', () => {
          if (!closing) fail(new Error(CLOSED_BY_SERVER));
        });
        socket.on('error', (err) => fail(err));
      }
      return result;
    },
  };
  const client = new HiveClient(thrift.TCLIService, T);
  client.on('error', (err: unknown) => fail(err));
  client.on('close', () => {
    if (!closing) fail(new Error(CLOSED_BY_SERVER));
  });

  const destroy = () => {
    closing = true;
    try {
      client.close();
    } catch {
      /* already gone */
    }
    socket?.destroy();
    agent?.destroy();
  };

  const guard = <T>(call: Promise<T>, { what, timeoutMs, silenceMs, signal }: GuardOptions): Promise<T> => {
    let timer: LongTimeout | undefined;
    let onAbort: (() => void) | undefined;
    const silent = silenceMs !== undefined && silenceMs < timeoutMs;
    const stop = new Promise<never>((_, reject) => {
      // Not setTimeout: it fires at once beyond 2^31-1 ms (~24.8 days); long-timers waits that long.
      timer = setLongTimeout(
        () =>
          reject(
            silent
              ? new ReadTimeoutError(silenceMs)
              : new HiveTimeoutError(`${what}: no answer within ${formatDuration(Math.ceil(timeoutMs / 1000))}`),
          ),
        silent ? silenceMs : timeoutMs,
      );
      if (signal) {
        // A RunError reason (e.g. the job's lock was lost) says why; anything else is a cancel.
        onAbort = () => reject(signal.reason instanceof RunError ? signal.reason : new CancelledError('cancelled'));
        if (signal.aborted) onAbort();
        else signal.addEventListener('abort', onAbort, { once: true });
      }
    });
    call.catch(() => {}); // settles after we stopped waiting: nobody is listening any more
    return Promise.race([call, failure, stop]).finally(() => {
      timer?.clear();
      if (onAbort) signal?.removeEventListener('abort', onAbort);
    });
  };

  const options = {
    host: spec.host,
    port: spec.port,
    options:
      spec.transport === 'http'
        ? { path: spec.path, https: spec.tls, nodeOptions: { agent, rejectUnauthorized: true } }
        : { ssl: spec.tls, rejectUnauthorized: true },
  };
  let session: HiveSession;
  try {
    const connection = spec.transport === 'http' ? new connections.HttpConnection() : new connections.TcpConnection();
    // One deadline for the TCP/TLS connect, the SASL exchange and OpenSession together.
    const open = async (): Promise<HiveSession> => {
      await client.connect(options, connection, capturing);
      return client.openSession({
        client_protocol: T.TProtocolVersion.HIVE_CLI_SERVICE_PROTOCOL_V10,
        configuration: sessionConfiguration(spec),
      });
    };
    session = await guard(open(), { what: 'connect', timeoutMs: connectSeconds * 1000 });
  } catch (err) {
    destroy();
    throw connectError(name, spec, err);
  }

  return {
    session,
    types: T,
    where,
    guard,
    async close() {
      if (closing) return;
      await guard(session.close(), { what: 'close session', timeoutMs: CLOSE_TIMEOUT_MS }).catch(() => {});
      destroy();
    },
    destroy() {
      destroy();
      fail(new Error('the connection was dropped'));
    },
  };
}

/** HiveServer2 reads these at OpenSession, as the JDBC driver sends them: the database and hive_conf. */
export function sessionConfiguration(spec: HiveSpec): Record<string, string> {
  const configuration: Record<string, string> = { 'use:database': spec.database };
  for (const [key, value] of Object.entries(spec.hive_conf)) configuration[`set:hiveconf:${key}`] = value;
  return configuration;
}

async function authentication(
  hive: HiveDriverModule,
  name: string,
  spec: HiveSpec,
): Promise<{ authenticate(transport: unknown): Promise<unknown> }> {
  const http = spec.transport === 'http';
  const credentials = { username: spec.user, password: spec.password };
  switch (spec.auth) {
    case 'nosasl':
      // HTTP has no NOSASL: HiveServer2's HTTP mode always reads a Basic header (any user when
      // authentication is NONE).
      return http
        ? new hive.auth.PlainHttpAuthentication({
            username: spec.user ?? 'anonymous',
            password: spec.password ?? 'anonymous',
          })
        : new hive.auth.NoSaslAuthentication();
    case 'plain':
      if (spec.user === undefined) throw new RunError(`connection ${name}: auth plain needs user (and password)`);
      return http
        ? new hive.auth.PlainHttpAuthentication(credentials)
        : new hive.auth.PlainTcpAuthentication(credentials);
    case 'kerberos': {
      const kerberos = await loadDriver<any>('kerberos', name);
      // The service principal is <kerberos_service>/<host>@REALM, as in the JDBC URL's principal.
      const kerberosProcess = new hive.auth.helpers.MongoKerberosAuthProcess(
        { fqdn: spec.host, service: spec.kerberos_service ?? 'hive' },
        kerberos.default ?? kerberos,
      );
      return http
        ? new hive.auth.KerberosHttpAuthentication(credentials, kerberosProcess)
        : new hive.auth.KerberosTcpAuthentication(credentials, kerberosProcess);
    }
  }
}

/** One line that says what went wrong while connecting, and what to check. */
function connectError(name: string, spec: HiveSpec, err: unknown): RunError {
  const where = `HiveServer2 at ${spec.host}:${spec.port}`;
  const e = err as { message?: string; code?: string; statusCode?: number };
  const message = firstLine(e.message ?? String(err));
  if (err instanceof CancelledError) return err;
  if (err instanceof HiveTimeoutError) {
    return new RunError(
      `${name}: no answer from ${where} within ${spec.connect_timeout} (auth ${spec.auth}, transport ${spec.transport}): the host may be down, or the server expects another auth or transport`,
      { cause: err },
    );
  }
  if (typeof e.statusCode === 'number') {
    const hint =
      e.statusCode === 401 || e.statusCode === 403
        ? 'check user and password'
        : e.statusCode === 404
          ? `check path (${spec.path})`
          : 'check transport and path';
    return new RunError(`${name}: ${where} answered HTTP ${e.statusCode} (${hint})`, { cause: err });
  }
  if (/^Authentication error/i.test(message))
    return new RunError(`${name}: ${where} refused the login: ${message.replace(/^Authentication error:\s*/i, '')}`, {
      cause: err,
    });
  if (message === CLOSED_BY_SERVER) {
    return new RunError(
      `${name}: ${where} closed the connection while connecting: does it expect another auth (set: ${spec.auth}) or transport (set: ${spec.transport})?`,
      { cause: err },
    );
  }
  if (e.code) return new RunError(`${name}: cannot connect to ${where} (${message})`, { cause: err });
  return new RunError(`${name}: ${where}: ${message}`, { cause: err });
}

export function firstLine(text: string): string {
  return text.split('\n')[0].trim();
}
