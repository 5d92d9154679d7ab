// The SQL engine behind the fake HiveServer2: MariaDB, one connection per operation so a result
// can stay open (and paused) between FetchResults calls while other operations run.
import mysql from 'mysql2';
import type { FieldPacket, Pool } from 'mysql2';

export interface MariaDbConfig {
  host: string;
  port: number;
  user: string;
  password: string;
}

export function mariaDbConfigFromEnv(env: NodeJS.ProcessEnv = process.env): MariaDbConfig {
  return {
    host: env.MYSQL_HOST || '127.0.0.1',
    port: Number(env.MYSQL_PORT || 3306),
    user: env.MYSQL_USER || 'root',
    password: env.MYSQL_PASSWORD ?? '',
  };
}

const connectionOptions = (config: MariaDbConfig) => ({
  ...config,
  charset: 'utf8mb4',
  // Hive shows BIGINT/DECIMAL exactly and TIMESTAMP as 'YYYY-MM-DD HH:MM:SS': keep MariaDB's
  // text instead of letting the driver round through JS numbers or shift through JS Dates.
  supportBigNumbers: true,
  bigNumberStrings: true,
  dateStrings: true,
});

/** Rows buffered ahead of the client before the MariaDB socket is paused. */
const PREFETCH_ROWS = 1000;

export class MariaDbCursor {
  fields: FieldPacket[] | null = null;
  error: Error | null = null;
  done = false;
  affectedRows: number | null = null;
  /** Settles (never rejects) once the statement has produced a result header, an OK, or an error. */
  readonly ready: Promise<void>;
  private rows: unknown[][] = [];
  private wanted = 0;
  private paused = false;
  private wake: (() => void) | null = null;
  private markReady!: () => void;

  constructor(
    private readonly conn: mysql.Connection,
    sql: string,
    private readonly kill: (threadId: number) => Promise<void>,
  ) {
    this.ready = new Promise((resolve) => {
      this.markReady = resolve;
    });
    conn.on('error', (error) => this.fail(error));
    const query = conn.query({ sql, rowsAsArray: true });
    query.on('fields', (fields: FieldPacket[]) => {
      this.fields = fields;
      this.markReady();
    });
    query.on('result', (row: unknown) => {
      if (!this.fields) {
        // No column header: an OK packet (DDL/DML) rather than a row.
        this.affectedRows = (row as { affectedRows?: number }).affectedRows ?? null;
        return;
      }
      this.rows.push(row as unknown[]);
      if (!this.paused && this.rows.length >= Math.max(this.wanted, PREFETCH_ROWS)) {
        this.paused = true;
        conn.pause();
      }
      this.notify();
    });
    query.on('error', (error: Error) => this.fail(error));
    query.on('end', () => {
      if (this.done) return; // already failed; the connection is gone
      this.done = true;
      this.markReady();
      this.notify();
      conn.end(() => undefined);
    });
  }

  /** Up to `max` rows; fewer only at the end of the result. Throws the MariaDB error, after any rows read before it. */
  async read(max: number): Promise<unknown[][]> {
    this.wanted = max;
    while (this.rows.length < max && !this.done) {
      // Register before resuming: resume() may deliver queued rows synchronously.
      const woken = new Promise<void>((resolve) => {
        this.wake = resolve;
      });
      this.resume();
      if (this.rows.length < max && !this.done) await woken;
    }
    this.wanted = 0;
    if (this.rows.length === 0 && this.error) throw this.error;
    return this.rows.splice(0, max);
  }

  get exhausted(): boolean {
    return this.done && this.rows.length === 0;
  }

  /** Stops the statement in MariaDB too (a destroyed socket alone lets e.g. SLEEP() run on). */
  async cancel(): Promise<void> {
    if (this.done) return;
    const threadId = this.conn.threadId;
    this.fail(new Error('Query was cancelled'));
    if (threadId) await this.kill(threadId).catch(() => undefined);
  }

  close(): void {
    if (!this.done) this.fail(new Error('Operation was closed'));
  }

  private fail(error: Error): void {
    if (this.done) return;
    this.error = error;
    this.done = true;
    this.markReady();
    this.notify();
    this.conn.destroy();
  }

  private resume(): void {
    if (this.paused) {
      this.paused = false;
      this.conn.resume();
    }
  }

  private notify(): void {
    const wake = this.wake;
    this.wake = null;
    wake?.();
  }
}

export class MariaDbEngine {
  private readonly admin: Pool;

  constructor(private readonly config: MariaDbConfig) {
    this.admin = mysql.createPool({ ...connectionOptions(config), connectionLimit: 2 });
  }

  async databaseExists(database: string): Promise<boolean> {
    const [rows] = await this.admin
      .promise()
      .query('SELECT 1 FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?', [database]);
    return (rows as unknown[]).length > 0;
  }

  open(database: string, sql: string): MariaDbCursor {
    const conn = mysql.createConnection({ ...connectionOptions(this.config), database });
    return new MariaDbCursor(conn, sql, (threadId) =>
      this.admin
        .promise()
        .query(`KILL QUERY ${Number(threadId)}`)
        .then(() => undefined),
    );
  }

  async end(): Promise<void> {
    await this.admin.promise().end();
  }
}
