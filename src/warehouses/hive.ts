// Hive through HiveServer2 (hive-driver): the statement runs asynchronously, its status is
// polled with a growing pause (HiveServer2 also holds each status call until something changes,
// up to 5s), and the result is fetched `fetch_size` rows per FetchResults, flushed after each
// page, so memory stays flat however many rows there are. Stopping early (a limit, an error,
// Ctrl-C, a timeout) cancels and closes the operation; close() closes the session.
import { setTimeout as sleepFor } from 'node:timers/promises';
import { CancelledError, RunError } from '../errors.ts';
import type { SqlQuery } from '../sql/render-query.ts';
import {
  CLOSED_BY_SERVER,
  connectHive,
  firstLine,
  HiveTimeoutError,
  seconds,
  type GuardOptions,
  type HiveLink,
  type HiveOperation,
  type HiveSpec,
} from './hive-connection.ts';
import { decodeRowSet } from './hive-rows.ts';
import { lostConnectionCause, ReadTimeoutError } from './lost-connection.ts';
import { DEFAULT_READ_TIMEOUT } from '../config/connection-schema.ts';
import { DEFAULT_BATCH_SIZE, type Row, type StreamOptions, type Warehouse } from './warehouse.ts';

const FIRST_POLL_MS = 50;
const MAX_POLL_MS = 2000;
const CLEANUP_TIMEOUT_MS = 5000;
/**
 * HiveServer2 holds a status call of a running query until something changes, up to
 * hive.server2.long.polling.timeout (5 s by default): such a wait is not silence, whatever read_timeout says.
 */
const STATUS_HOLD_MIN_MS = 10_000;

export async function openHive(name: string, spec: HiveSpec): Promise<Warehouse> {
  const querySeconds = seconds(spec.query_timeout, 'query_timeout', name);
  const silenceMs = seconds(spec.read_timeout ?? DEFAULT_READ_TIMEOUT, 'read_timeout', name) * 1000;
  const link = await connectHive(name, spec);
  const run = (query: SqlQuery, options: StreamOptions) =>
    streamStatement(name, spec, link, { querySeconds, silenceMs }, query, options);
  return {
    dialect: 'hive',
    stream: (query, options = {}) => run(query, options),
    async all(query, options) {
      const rows: Row[] = [];
      for await (const batch of run(query, { signal: options?.signal })) rows.push(...batch);
      return rows;
    },
    async version() {
      const info = (type: string) =>
        link.guard(link.session.getInfo(link.types.TGetInfoType[type]), {
          what: 'GetInfo',
          timeoutMs: querySeconds * 1000,
          silenceMs,
        });
      return `${(await info('CLI_DBMS_NAME')).getValue()} ${(await info('CLI_DBMS_VER')).getValue()}`;
    },
    close: () => link.close(),
    destroy: () => link.destroy(),
  };
}

async function* streamStatement(
  name: string,
  spec: HiveSpec,
  link: HiveLink,
  bounds: { querySeconds: number; silenceMs: number },
  query: SqlQuery,
  options: StreamOptions,
): AsyncGenerator<Row[]> {
  const { querySeconds, silenceMs } = bounds;
  if (query.bindings.length > 0)
    throw new Error('HiveQL has no bound parameters: render values as literals (src/sql/hive)');
  const { signal } = options;
  const batchSize = options.batchSize ?? DEFAULT_BATCH_SIZE;
  const deadline = Date.now() + querySeconds * 1000;
  // Each call to the server: within the query's deadline, and answered within read_timeout.
  const untilDeadline = (what: string, silence: number | undefined = silenceMs) => ({
    what,
    timeoutMs: Math.max(1, deadline - Date.now()),
    silenceMs: silence,
    signal,
  });
  let operation: HiveOperation | undefined;
  let finished = false;
  try {
    // queryTimeout lets HiveServer2 stop the query itself too, should this process die.
    operation = await link.guard(
      link.session.executeStatement(query.sql, { runAsync: true, queryTimeout: querySeconds }),
      untilDeadline('ExecuteStatement'),
    );
    await waitUntilFinished(name, link, operation, untilDeadline, silenceMs, signal);
    operation.setMaxRows(spec.fetch_size);
    for (;;) {
      // Each page may take the server a while (Hive reads files as it fetches): one
      // query_timeout per page, not one for the whole stream, which the consumer paces.
      await link.guard(operation.fetch(), { what: 'FetchResults', timeoutMs: querySeconds * 1000, silenceMs, signal });
      const schema = operation.getSchema() ?? {};
      const pages = operation.getData();
      operation.flush();
      for (const page of pages) {
        const rows = decodeRowSet(schema, page);
        for (let i = 0; i < rows.length; i += batchSize) yield rows.slice(i, i + batchSize);
      }
      if (!operation.hasMoreRows()) break;
    }
    finished = true;
  } catch (err) {
    // A silent or broken connection cannot cancel or close anything: drop it now, so that the
    // cleanup below and the session's close fail at once instead of waiting out their bounds.
    if (err instanceof ReadTimeoutError || lostConnectionCause(err)) link.destroy();
    throw queryError(name, spec, link, err);
  } finally {
    if (operation) await release(link, operation, finished);
  }
}

async function waitUntilFinished(
  name: string,
  link: HiveLink,
  operation: HiveOperation,
  untilDeadline: (what: string, silence?: number) => GuardOptions,
  silenceMs: number,
  signal?: AbortSignal,
): Promise<void> {
  const S = link.types.TOperationState;
  let pause = FIRST_POLL_MS;
  for (;;) {
    const status = await link.guard(
      operation.status(),
      untilDeadline('GetOperationStatus', Math.max(silenceMs, STATUS_HOLD_MIN_MS)),
    );
    switch (status.operationState) {
      case S.FINISHED_STATE:
        return;
      case S.INITIALIZED_STATE:
      case S.PENDING_STATE:
      case S.RUNNING_STATE:
        break;
      case S.ERROR_STATE:
        throw new RunError(`${name}: ${firstLine(status.errorMessage || 'the query failed')}`);
      case S.TIMEDOUT_STATE:
        throw new HiveTimeoutError('the query timed out on the server');
      case S.CANCELED_STATE:
        throw new CancelledError(`${name}: the query was cancelled on the server`);
      default:
        throw new RunError(
          `${name}: the query ended in state ${status.operationState}${status.errorMessage ? `: ${firstLine(status.errorMessage)}` : ''}`,
        );
    }
    // The pause is ours, not the server's: only the query's deadline bounds it.
    await link.guard(pauseFor(pause, signal), { ...untilDeadline('GetOperationStatus'), silenceMs: undefined });
    pause = Math.min(pause * 2, MAX_POLL_MS);
  }
}

/** Resolves after `ms`, or at once when the signal aborts (the guard around it then rejects). */
async function pauseFor(ms: number, signal?: AbortSignal): Promise<void> {
  await sleepFor(ms, undefined, { signal }).catch(() => {});
}

/** Cancels an operation that did not run to its end, then closes it; bounded, never throws. */
async function release(link: HiveLink, operation: HiveOperation, finished: boolean): Promise<void> {
  const bounded = (what: string) => ({ what, timeoutMs: CLEANUP_TIMEOUT_MS });
  if (!finished) await link.guard(operation.cancel(), bounded('CancelOperation')).catch(() => {});
  await link.guard(operation.close(), bounded('CloseOperation')).catch(() => {});
}

function queryError(name: string, spec: HiveSpec, link: HiveLink, err: unknown): RunError {
  if (err instanceof CancelledError && !err.message.startsWith(`${name}:`))
    return new CancelledError(`${name}: query cancelled; the Hive operation was cancelled and the session closed`);
  if (err instanceof RunError) return err;
  if (err instanceof HiveTimeoutError) {
    return new RunError(
      `${name}: the query took longer than query_timeout (${spec.query_timeout}) at HiveServer2 ${link.where} and was cancelled`,
      { cause: err },
    );
  }
  const e = err as { message?: string; code?: string };
  const message = firstLine(e.message ?? String(err));
  if (e.code || message === CLOSED_BY_SERVER)
    return new RunError(`${name}: lost the connection to HiveServer2 at ${link.where} (${message})`, { cause: err });
  return new RunError(`${name}: ${message}`, { cause: err });
}
