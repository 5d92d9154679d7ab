// The TCLIService methods, written against the generated thrift structs hive-driver uses.
// Every method answers with a TStatus; failures are ERROR_STATUS with a message, never a crash.
import { TCLIService, T, int64ToNumber } from './thrift-runtime.ts';
import { applyRewrites } from './rewrites.ts';
import { HIVE_DEFAULT_DATABASE, confKey, parseSessionCommand, showRows } from './session-commands.ts';
import {
  Operation,
  cursorSource,
  handleKey,
  newHandleId,
  staticSource,
  type HandleId,
  type ResultSource,
} from './operation.ts';
import type { MariaDbEngine } from './mariadb.ts';

/* eslint-disable @typescript-eslint/no-explicit-any */
type Req = any;

/** Reported by GetInfo; the Hive release whose TCLIService.thrift hive-driver ships. */
export const HIVE_VERSION = '3.1.3';
/** HiveServer2 holds GetOperationStatus up to hive.server2.long.polling.timeout (5 s); shorter keeps tests snappy. */
const LONG_POLL_MS = 500;

interface Session {
  id: HandleId;
  database: string;
  conf: Map<string, string>;
  operations: Set<string>;
}

export interface HandlerOptions {
  database: string;
  engine: MariaDbEngine;
  queryDelayMs: number;
}

const ok = () => ({ statusCode: T.TStatusCode.SUCCESS_STATUS });
const failure = (message: string, extra: { sqlState?: string; errorCode?: number } = {}) => ({
  statusCode: T.TStatusCode.ERROR_STATUS,
  errorMessage: message,
  ...extra,
});

class HiveError extends Error {
  constructor(
    message: string,
    readonly statusCode: number = T.TStatusCode.ERROR_STATUS,
  ) {
    super(message);
  }
}

const OPERATION_STATE: Record<Operation['state'], number> = {
  RUNNING: T.TOperationState.RUNNING_STATE,
  FINISHED: T.TOperationState.FINISHED_STATE,
  ERROR: T.TOperationState.ERROR_STATE,
  CANCELED: T.TOperationState.CANCELED_STATE,
  CLOSED: T.TOperationState.CLOSED_STATE,
  TIMEDOUT: T.TOperationState.TIMEDOUT_STATE,
};

export class HiveService {
  readonly statements: string[] = [];
  cancelled = 0;
  private readonly sessions = new Map<string, Session>();
  private readonly operations = new Map<string, Operation>();

  constructor(private readonly options: HandlerOptions) {}

  sessionsOpen(): number {
    return this.sessions.size;
  }

  /** The object handed to TCLIService.Processor: every IDL method present, each taking one argument. */
  processorHandler(): Record<string, (req: Req) => Promise<unknown>> {
    const implemented: Record<string, (req: Req) => Promise<unknown>> = {
      OpenSession: (req) => this.openSession(req),
      CloseSession: (req) => this.closeSession(req),
      GetInfo: (req) => this.getInfo(req),
      ExecuteStatement: (req) => this.executeStatement(req),
      GetOperationStatus: (req) => this.getOperationStatus(req),
      CancelOperation: (req) => this.cancelOperation(req),
      CloseOperation: (req) => this.closeOperation(req),
      GetResultSetMetadata: (req) => this.getResultSetMetadata(req),
      FetchResults: (req) => this.fetchResults(req),
      SetClientInfo: async (req) => {
        this.session(req.sessionHandle);
        return { status: ok() };
      },
    };
    const handler: Record<string, (req: Req) => Promise<unknown>> = {};
    for (const key of Object.keys(TCLIService.Processor.prototype)) {
      const name = /^process_(\w+)$/.exec(key)?.[1];
      if (!name) continue;
      const impl =
        implemented[name] ??
        (async () => {
          throw new HiveError(`${name} is not supported by the Hive test server`);
        });
      handler[name] = async (req) => {
        try {
          return await impl(req);
        } catch (error) {
          const e = error as HiveError;
          return {
            status: { ...failure(e.message ?? String(error)), statusCode: e.statusCode ?? T.TStatusCode.ERROR_STATUS },
          };
        }
      };
    }
    // GetQueryIdResp has no status field, so its failures travel as a TApplicationException.
    handler.GetQueryId = async (req) => ({ queryId: `hive_test_${this.operation(req.operationHandle).key}` });
    return handler;
  }

  async closeAll(): Promise<void> {
    for (const operation of this.operations.values()) operation.close();
    this.operations.clear();
    this.sessions.clear();
  }

  private session(handle: Req): Session {
    const session = this.sessions.get(handleKey(handle?.sessionId));
    if (!session) throw new HiveError('Invalid SessionHandle', T.TStatusCode.INVALID_HANDLE_STATUS);
    return session;
  }

  private operation(handle: Req): Operation {
    const operation = this.operations.get(handleKey(handle?.operationId));
    if (!operation) throw new HiveError('Invalid OperationHandle', T.TStatusCode.INVALID_HANDLE_STATUS);
    return operation;
  }

  /** Hive's `default` is the server's database; other names are MariaDB databases. */
  private resolveDatabase(name: string): string {
    return name.toLowerCase() === HIVE_DEFAULT_DATABASE ? this.options.database : name;
  }

  private async openSession(req: Req) {
    const V6 = T.TProtocolVersion.HIVE_CLI_SERVICE_PROTOCOL_V6;
    const newest = T.TProtocolVersion.HIVE_CLI_SERVICE_PROTOCOL_V11;
    if (req.client_protocol < V6) {
      // Older protocols page results as rows (TRow); only column-based row sets are implemented.
      throw new HiveError(
        `The Hive test server needs HIVE_CLI_SERVICE_PROTOCOL_V6 or later, got ${req.client_protocol}`,
      );
    }
    const session: Session = {
      id: newHandleId(),
      database: this.options.database,
      conf: new Map(),
      operations: new Set(),
    };
    for (const [key, value] of Object.entries<string>(req.configuration ?? {})) {
      if (key === 'use:database') {
        const database = this.resolveDatabase(value);
        if (!(await this.options.engine.databaseExists(database)))
          throw new HiveError(`Failed to open new session: Database does not exist: ${value}`);
        session.database = database;
      } else if (key.startsWith('set:hiveconf:')) {
        session.conf.set(key.slice('set:hiveconf:'.length), value);
      } else if (key.startsWith('set:')) {
        session.conf.set(confKey(key.slice('set:'.length)), value);
      }
    }
    this.sessions.set(handleKey(session.id), session);
    return {
      status: ok(),
      serverProtocolVersion: Math.min(req.client_protocol, newest),
      sessionHandle: { sessionId: session.id },
      configuration: {},
    };
  }

  private async closeSession(req: Req) {
    const session = this.session(req.sessionHandle);
    for (const key of session.operations) {
      this.operations.get(key)?.close();
      this.operations.delete(key);
    }
    this.sessions.delete(handleKey(session.id));
    return { status: ok() };
  }

  private async getInfo(req: Req) {
    this.session(req.sessionHandle);
    const I = T.TGetInfoType;
    const values: Record<number, unknown> = {
      [I.CLI_SERVER_NAME]: { stringValue: 'Hive' },
      [I.CLI_DBMS_NAME]: { stringValue: 'Apache Hive' },
      [I.CLI_DBMS_VER]: { stringValue: HIVE_VERSION },
      [I.CLI_MAX_COLUMN_NAME_LEN]: { integerFlag: 128 },
      [I.CLI_MAX_SCHEMA_NAME_LEN]: { integerFlag: 128 },
      [I.CLI_MAX_TABLE_NAME_LEN]: { integerFlag: 128 },
    };
    const infoValue = values[req.infoType];
    if (!infoValue) throw new HiveError(`Unrecognized GetInfoType value: ${req.infoType}`);
    return { status: ok(), infoValue };
  }

  private sourceFor(session: Session, statement: string): () => ResultSource {
    const command = parseSessionCommand(statement);
    const { engine } = this.options;
    if (command?.kind === 'set') {
      return () => {
        session.conf.set(command.key, command.value);
        return staticSource(null);
      };
    }
    if (command?.kind === 'show') {
      const columns = [{ name: 'set', typeId: T.TTypeId.STRING_TYPE, kind: 'stringVal' as const }];
      return () =>
        staticSource(
          columns,
          showRows(session.conf, command.key).map((row) => [row]),
        );
    }
    if (command?.kind === 'use' && command.database.toLowerCase() === HIVE_DEFAULT_DATABASE) {
      return () => {
        session.database = this.options.database;
        return staticSource(null);
      };
    }
    if (command?.kind === 'use') {
      // MariaDB checks the name and words the error; success moves the session there.
      return () => {
        const source = cursorSource(engine.open(session.database, statement));
        void source.ready.then(() => {
          if (!source.error) session.database = command.database;
        });
        return source;
      };
    }
    const { sql } = applyRewrites(statement);
    const database = session.database;
    return () => cursorSource(engine.open(database, sql));
  }

  private async executeStatement(req: Req) {
    this.statements.push(req.statement);
    const session = this.session(req.sessionHandle);
    const operation = new Operation(this.sourceFor(session, req.statement), {
      delayMs: this.options.queryDelayMs,
      timeoutMs: int64ToNumber(req.queryTimeout) * 1000,
    });
    this.operations.set(operation.key, operation);
    session.operations.add(operation.key);
    if (!req.runAsync) {
      // Synchronous execution reports the statement's failure on ExecuteStatement itself.
      await operation.settled;
      if (operation.state !== 'FINISHED') {
        const error = operation.error ?? { message: `Operation ended in state ${operation.state}` };
        operation.close();
        this.operations.delete(operation.key);
        session.operations.delete(operation.key);
        return { status: failure(error.message, { sqlState: error.sqlState, errorCode: error.errorCode }) };
      }
    }
    return {
      status: ok(),
      operationHandle: {
        operationId: operation.id,
        operationType: T.TOperationType.EXECUTE_STATEMENT,
        // Known only once executed; GetOperationStatus reports the final answer.
        hasResultSet: operation.state === 'FINISHED' ? operation.hasResultSet : true,
      },
    };
  }

  private async getOperationStatus(req: Req) {
    const operation = this.operation(req.operationHandle);
    await operation.waitWhileRunning(LONG_POLL_MS);
    const done = operation.state !== 'RUNNING';
    return {
      status: ok(),
      operationState: OPERATION_STATE[operation.state],
      errorMessage: operation.error?.message,
      sqlState: operation.error?.sqlState,
      errorCode: operation.error?.errorCode,
      operationStarted: operation.started,
      operationCompleted: operation.completed ?? undefined,
      hasResultSet: operation.state === 'FINISHED' ? operation.hasResultSet : undefined,
      numModifiedRows: done && operation.modifiedRows !== null ? operation.modifiedRows : undefined,
    };
  }

  private async cancelOperation(req: Req) {
    this.cancelled += 1;
    await this.operation(req.operationHandle).cancel();
    return { status: ok() };
  }

  private async closeOperation(req: Req) {
    const operation = this.operation(req.operationHandle);
    operation.close();
    this.operations.delete(operation.key);
    for (const session of this.sessions.values()) session.operations.delete(operation.key);
    return { status: ok() };
  }

  private async getResultSetMetadata(req: Req) {
    const operation = this.operation(req.operationHandle);
    if (operation.state !== 'FINISHED') throw new HiveError(`Expected state FINISHED, but found ${operation.state}`);
    return { status: ok(), schema: operation.schema() };
  }

  private async fetchResults(req: Req) {
    const operation = this.operation(req.operationHandle);
    if (req.fetchType === 1) {
      // Operation logs: none are kept, but the shape (one string column) is what clients expect.
      return {
        status: ok(),
        hasMoreRows: false,
        results: { startRowOffset: 0, rows: [], columns: [{ stringVal: { values: [], nulls: Buffer.alloc(0) } }] },
      };
    }
    const O = T.TFetchOrientation;
    const orientation = req.orientation === O.FETCH_FIRST ? 'first' : req.orientation === O.FETCH_NEXT ? 'next' : null;
    if (!orientation) {
      const name = Object.keys(O).find((key) => O[key] === req.orientation) ?? req.orientation;
      throw new HiveError(`The fetch type ${name} is not supported for this resultset`);
    }
    const page = await operation.fetch(orientation, int64ToNumber(req.maxRows)).catch((error: Error) => {
      throw new HiveError(error.message);
    });
    return { status: ok(), hasMoreRows: page.hasMoreRows, results: page.results };
  }
}
