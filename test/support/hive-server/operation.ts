// One HiveServer2 operation: its state machine (as GetOperationStatus reports it) and its
// cursor over the result (as FetchResults pages through it).
import { randomBytes } from 'node:crypto';
import { hiveColumn, rowSet, tableSchema, type HiveColumn } from './result-set.ts';
import type { MariaDbCursor } from './mariadb.ts';

export interface ResultSource {
  readonly ready: Promise<void>;
  readonly error: Error | null;
  readonly exhausted: boolean;
  readonly affectedRows: number | null;
  /** null: the statement has no result set. */
  columns(): HiveColumn[] | null;
  read(max: number): Promise<unknown[][]>;
  cancel(): Promise<void>;
  close(): void;
}

export function cursorSource(cursor: MariaDbCursor): ResultSource {
  return {
    ready: cursor.ready,
    get error() {
      return cursor.error;
    },
    get exhausted() {
      return cursor.exhausted;
    },
    get affectedRows() {
      return cursor.affectedRows;
    },
    columns: () => cursor.fields?.map(hiveColumn) ?? null,
    read: (max) => cursor.read(max),
    cancel: () => cursor.cancel(),
    close: () => cursor.close(),
  };
}

/** Results the server computes itself (SET, USE default). */
export function staticSource(columns: HiveColumn[] | null, rows: unknown[][] = []): ResultSource {
  let position = 0;
  return {
    ready: Promise.resolve(),
    error: null,
    affectedRows: null,
    get exhausted() {
      return position >= rows.length;
    },
    columns: () => columns,
    read: async (max) => {
      const batch = rows.slice(position, position + max);
      position += batch.length;
      return batch;
    },
    cancel: async () => undefined,
    close: () => undefined,
  };
}

export interface HandleId {
  guid: Buffer;
  secret: Buffer;
}
export const newHandleId = (): HandleId => ({ guid: randomBytes(16), secret: randomBytes(16) });
export const handleKey = (id: { guid: Buffer } | null | undefined): string =>
  id?.guid ? Buffer.from(id.guid).toString('hex') : '';

export type OperationState = 'RUNNING' | 'FINISHED' | 'ERROR' | 'CANCELED' | 'CLOSED' | 'TIMEDOUT';

export interface OperationError {
  message: string;
  sqlState?: string;
  errorCode?: number;
}

/** HiveServer2 states the engine error after its own prefix; MariaDB's text stays intact. */
function operationError(error: Error): OperationError {
  const e = error as Error & { sqlState?: string; errno?: number };
  return { message: `Error while processing statement: ${e.message}`, sqlState: e.sqlState, errorCode: e.errno };
}

/** Wakes status long-polls when the state moves. */
class Signal {
  private waiters = new Set<() => void>();
  notify(): void {
    for (const wake of [...this.waiters]) wake();
  }
  wait(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.waiters.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.waiters.add(done);
    });
  }
}

export interface OperationOptions {
  /** Report RUNNING at least this long (tests of polling and cancel). */
  delayMs: number;
  /** TExecuteStatementReq.queryTimeout in ms; 0 = none. */
  timeoutMs: number;
}

export class Operation {
  readonly id = newHandleId();
  readonly key = handleKey(this.id);
  readonly started = Date.now();
  completed: number | null = null;
  state: OperationState = 'RUNNING';
  error: OperationError | null = null;
  /** Settles when the state first leaves RUNNING. */
  readonly settled: Promise<void>;
  private source: ResultSource;
  private columns: HiveColumn[] | null = null;
  private offset = 0;
  private readonly changed = new Signal();
  private queue: Promise<unknown> = Promise.resolve();
  private readonly timers: NodeJS.Timeout[] = [];
  private markSettled!: () => void;

  constructor(
    private readonly open: () => ResultSource,
    options: OperationOptions,
  ) {
    this.source = open();
    const delay = new Promise<void>((resolve) => this.timers.push(setTimeout(resolve, options.delayMs)));
    this.settled = new Promise<void>((resolve) => {
      this.markSettled = resolve;
    });
    void Promise.all([this.source.ready, delay]).then(() => this.finishExecution());
    if (options.timeoutMs > 0) {
      this.timers.push(
        setTimeout(() => {
          if (this.state !== 'RUNNING') return;
          this.error = { message: `Query timed out after ${options.timeoutMs / 1000} seconds` };
          this.transition('TIMEDOUT');
          void this.source.cancel();
        }, options.timeoutMs),
      );
    }
    // Timers must never keep a test process alive.
    for (const timer of this.timers) timer.unref();
  }

  get hasResultSet(): boolean {
    return this.columns !== null;
  }

  /** TTableSchema of the result (no columns when the statement returns none). */
  schema(): unknown {
    return tableSchema(this.columns ?? []);
  }

  get modifiedRows(): number | null {
    return this.source.affectedRows;
  }

  /** HiveServer2 long-polls GetOperationStatus while an operation runs, instead of answering at once. */
  async waitWhileRunning(ms: number): Promise<void> {
    if (this.state === 'RUNNING') await this.changed.wait(ms);
  }

  async cancel(): Promise<void> {
    if (this.state === 'RUNNING' || this.state === 'FINISHED') this.transition('CANCELED');
    await this.source.cancel();
  }

  close(): void {
    this.transition('CLOSED');
    for (const timer of this.timers) clearTimeout(timer);
    this.source.close();
  }

  /** One FetchResults page. Calls are serialised: the cursor has a single position. */
  fetch(orientation: 'first' | 'next', maxRows: number): Promise<{ results: unknown; hasMoreRows: boolean }> {
    const page = this.queue.then(() => this.fetchNow(orientation, maxRows));
    this.queue = page.catch(() => undefined);
    return page;
  }

  private async fetchNow(orientation: 'first' | 'next', maxRows: number) {
    if (this.state !== 'FINISHED') throw new Error(`Expected state FINISHED, but found ${this.state}`);
    if (this.columns === null) throw new Error('No result set associated with the operation');
    if (orientation === 'first' && this.offset > 0) {
      // HiveServer2 rewinds by re-reading the result; here that means running the query again.
      this.source.close();
      this.source = this.open();
      await this.source.ready;
      if (this.source.error) throw this.source.error;
      this.offset = 0;
    }
    const rows = await this.source.read(Math.max(0, maxRows));
    const results = rowSet(this.columns, rows, this.offset);
    this.offset += rows.length;
    return { results, hasMoreRows: !this.source.exhausted };
  }

  private finishExecution(): void {
    if (this.state !== 'RUNNING') return;
    if (this.source.error) {
      this.error = operationError(this.source.error);
      this.transition('ERROR');
    } else {
      this.columns = this.source.columns();
      this.transition('FINISHED');
    }
  }

  private transition(state: OperationState): void {
    if (this.state === 'CLOSED') return;
    this.state = state;
    if (this.completed === null && state !== 'RUNNING') {
      this.completed = Date.now();
      this.markSettled();
    }
    this.changed.notify();
  }
}
