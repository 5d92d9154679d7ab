// Every warehouse read is guarded against the three ways a server is lost mid-result: the
// server closes the connection (FIN), the network resets it (RST), or the link goes silent
// without closing (a dead host, a hung server, a firewall that drops packets). The first two
// fail through the driver; the silent one would wait forever, so each wait for the server's
// next rows is bounded by the connection's `read_timeout`. The run's abort signal (SIGTERM,
// SIGINT, the scheduler's grace, a lost lock) ends a wait at once too, whatever the driver is
// doing. Either way the connection is destroyed, the pending read is abandoned, and the error
// is one line: "lost the connection to <name> after N rows (<cause>)".
import { RunError } from '../errors.ts';
import type { SqlQuery } from '../sql/render-query.ts';
import { setLongTimeout, type LongTimeout } from '../long-timers.ts';
import { abortedError } from './cancel-on-abort.ts';
import type { Row, StreamOptions, Warehouse } from './warehouse.ts';

/** The connection to a warehouse was lost (closed, reset or silent) while rows were read: exit 1. */
export class LostConnectionError extends RunError {
  constructor(
    readonly connection: string,
    readonly rows: number,
    detail: string,
    options?: { cause?: unknown },
  ) {
    super(`lost the connection to ${connection} after ${rows} ${rows === 1 ? 'row' : 'rows'} (${detail})`, options);
    this.name = 'LostConnectionError';
  }
}

/**
 * The server sent nothing for the connection's read_timeout: the connection counts as lost. Thrown
 * by the guard below, and by engines that bound each of their own calls (Hive).
 */
export class ReadTimeoutError extends RunError {
  constructor(readonly timeoutMs: number) {
    super(`no data from the server for ${seconds(timeoutMs)}: read_timeout`);
    this.name = 'ReadTimeoutError';
  }
}

// Driver errors that mean the connection itself is gone (mysql2, pg, node:net, hive-driver).
const LOST_CODES = new Set(['PROTOCOL_CONNECTION_LOST', 'ECONNRESET', 'EPIPE', 'ECONNABORTED', 'ETIMEDOUT']);
const LOST_MESSAGES = /Connection terminated|server closed the connection|socket hang up|Connection lost/i;

/** The cause, when `err` (or one of its causes) says the connection was lost; else undefined. */
export function lostConnectionCause(err: unknown): string | undefined {
  for (let e = err as { code?: string; message?: string; cause?: unknown } | undefined; e; e = e.cause as typeof e) {
    if (e.code && LOST_CODES.has(e.code)) return e.code === 'ECONNRESET' ? 'reset: ECONNRESET' : e.code;
    if (e.message && LOST_MESSAGES.test(e.message)) return 'the server closed it';
    if (typeof e !== 'object') break;
  }
  return undefined;
}

/**
 * The warehouse with every read bounded: `readTimeoutMs` per wait for the server (the time to
 * the first row included), the stream's abort signal honoured at once, and lost connections
 * reported as LostConnectionError with the rows read so far.
 */
export function guardWarehouse(name: string, inner: Warehouse, readTimeoutMs: number | undefined): Warehouse {
  const guarded: Warehouse = {
    ...inner,
    dialect: inner.dialect,
    stream: (query, options) => guardedStream(name, inner, query, options ?? {}, readTimeoutMs),
    async all(query, options) {
      try {
        return await bounded(name, inner, inner.all(query, options), 0, options?.signal, readTimeoutMs);
      } catch (err) {
        throw asLost(name, err, 0);
      }
    },
    version: () => inner.version(),
    close: () => inner.close(),
  };
  return guarded;
}

async function* guardedStream(
  name: string,
  inner: Warehouse,
  query: SqlQuery,
  options: StreamOptions,
  readTimeoutMs: number | undefined,
): AsyncGenerator<Row[]> {
  const rows = inner.stream(query, options)[Symbol.asyncIterator]();
  let read = 0;
  let settled = true;
  try {
    for (;;) {
      settled = false;
      const step = await bounded(name, inner, rows.next(), read, options.signal, readTimeoutMs);
      settled = true;
      if (step.done) return;
      read += step.value.length;
      yield step.value;
    }
  } catch (err) {
    throw asLost(name, err, read);
  } finally {
    // A read still pending on a destroyed connection settles by itself; do not wait for it.
    if (settled) await rows.return?.(undefined).catch(() => {});
    else void rows.return?.(undefined).catch(() => {});
  }
}

// Races one read against the read timeout and the abort signal; the loser's connection is destroyed.
function bounded<T>(
  name: string,
  inner: Warehouse,
  read: Promise<T>,
  rowsSoFar: number,
  signal: AbortSignal | undefined,
  readTimeoutMs: number | undefined,
): Promise<T> {
  if (!readTimeoutMs && !signal) return read;
  return new Promise<T>((resolve, reject) => {
    let timer: LongTimeout | undefined;
    const giveUp = (err: Error) => {
      cleanup();
      read.catch(() => {}); // abandoned: its own failure (the destroyed socket) is not the story
      inner.destroy?.();
      reject(err);
    };
    // On abort the engine, which has the same signal, cancels its own query first (Hive cancels
    // the operation and closes the session; MariaDB and PostgreSQL kill the query): its own
    // "query cancelled" ends the read. Only an engine that has not ended the read within
    // ABORT_GRACE_MS loses its connection here, so a signal still ends the run in seconds.
    const onAbort = () => {
      timer?.clear();
      timer = setLongTimeout(() => giveUp(abortedError(name, signal)!), ABORT_GRACE_MS);
    };
    const cleanup = () => {
      timer?.clear();
      signal?.removeEventListener('abort', onAbort);
    };
    if (signal?.aborted) return giveUp(abortedError(name, signal)!);
    signal?.addEventListener('abort', onAbort, { once: true });
    if (readTimeoutMs)
      timer = setLongTimeout(
        () => giveUp(new LostConnectionError(name, rowsSoFar, new ReadTimeoutError(readTimeoutMs).message)),
        readTimeoutMs,
      );
    read.then(
      (value) => {
        cleanup();
        resolve(value);
      },
      (err) => {
        cleanup();
        reject(err);
      },
    );
  });
}

function asLost(name: string, err: unknown, rows: number): unknown {
  if (err instanceof LostConnectionError) return err;
  if (err instanceof ReadTimeoutError) return new LostConnectionError(name, rows, err.message, { cause: err });
  const cause = lostConnectionCause(err);
  return cause && !(err as Error)?.name?.startsWith('Cancelled')
    ? new LostConnectionError(name, rows, cause, { cause: err })
    : err;
}

/** How long an aborted read may take to end by the engine's own cancel before its connection is destroyed. */
const ABORT_GRACE_MS = 3000;

const seconds = (ms: number) => (ms % 1000 === 0 ? `${ms / 1000}s` : `${ms} ms`);
