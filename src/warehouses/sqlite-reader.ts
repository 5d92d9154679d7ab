// The parent's side of the SQLite reader process (sqlite-reader-process.mjs, which says why the
// reads run there): starts it, routes each reply to the request that asked, and stops it at
// once (SIGKILL) when a run must end, whatever step SQLite is in.
import { type ChildProcess, fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Row } from './warehouse.ts';

const SCRIPT = fileURLToPath(new URL('./sqlite-reader-process.mjs', import.meta.url));

/** An error as the reader reports it (better-sqlite3's message and code, e.g. SQLITE_ERROR). */
export interface ReaderError {
  message: string;
  code?: string;
  name?: string;
}

export interface ReaderReply {
  id: number;
  rows?: Row[];
  done?: boolean;
  opened?: boolean;
  version?: string;
  error?: ReaderError;
}

export type ReaderRequest =
  | { op: 'open'; path: string; readonly: boolean; fileMustExist: boolean; crc32: string }
  | { op: 'stream'; sql: string; bindings: unknown[]; batchSize: number; window: number }
  | { op: 'all'; sql: string; bindings: unknown[] }
  | { op: 'version' };

/** One reader process. Replies to a request go to its handler until one is final (done, error). */
export interface SqliteReader {
  readonly alive: boolean;
  /** Sends a request; returns its id. After the reader stopped, the handler gets an error at once. */
  request(message: ReaderRequest, onReply: (reply: ReaderReply) => void): number;
  /** The parent took one batch of stream `id`: the reader may read one more. */
  more(id: number): void;
  /** The parent stopped reading stream `id` early: the reader releases its statement. */
  stop(id: number): void;
  /** Stops the reader at once (SIGKILL): every pending request fails with `reason`. */
  kill(reason: string): void;
  /** Lets the reader close its connection and exit; waits up to 2 s, then kills it. */
  close(): Promise<void>;
}

// Readers still running when this process exits (the run's grace timer, an uncaught error) are
// killed with it, so none is left reading on its own.
const running = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

/** Starts a reader process; it idles (holding nothing open in this process's event loop) until asked. */
export function startSqliteReader(): SqliteReader {
  const child = fork(SCRIPT, [], {
    execArgv: [],
    serialization: 'advanced',
    stdio: ['ignore', 'ignore', 'ignore', 'ipc'],
  });
  running.add(child);
  child.unref();
  const handlers = new Map<number, (reply: ReaderReply) => void>();
  let nextId = 1;
  let stopped: string | undefined;
  // The IPC channel keeps this process alive only while a request waits for its reply.
  const refWhilePending = () => (handlers.size > 0 ? child.channel?.ref() : child.channel?.unref());
  refWhilePending();
  const failAll = (message: string) => {
    const pending = [...handlers];
    handlers.clear();
    for (const [id, handler] of pending) handler({ id, error: { message } });
    refWhilePending();
  };
  const end = (reason: string) => {
    stopped ??= reason;
    running.delete(child);
    failAll(stopped);
  };
  child.on('message', (reply: ReaderReply) => {
    const handler = handlers.get(reply.id);
    if (!handler) return;
    if (reply.error || reply.done || reply.opened || reply.version !== undefined) {
      handlers.delete(reply.id);
      refWhilePending();
    }
    handler(reply);
  });
  child.on('exit', (code, signal) => end(`the SQLite reader process stopped (${signal ?? `exit code ${code}`})`));
  child.on('error', (err) => end(`the SQLite reader process failed: ${err.message}`));
  const send = (message: object) => {
    if (!stopped && child.connected) child.send(message);
  };
  return {
    get alive() {
      return stopped === undefined;
    },
    request(message, onReply) {
      const id = nextId++;
      if (stopped) {
        onReply({ id, error: { message: stopped } });
        return id;
      }
      handlers.set(id, onReply);
      refWhilePending();
      send({ ...message, id });
      return id;
    },
    more: (id) => send({ op: 'more', id }),
    stop: (id) => {
      handlers.delete(id);
      refWhilePending();
      send({ op: 'stop', id });
    },
    kill(reason) {
      if (stopped) return;
      child.kill('SIGKILL');
      end(reason);
    },
    async close() {
      if (stopped) return;
      const exited = new Promise((done) => child.once('exit', done));
      child.disconnect();
      const timer = setTimeout(() => child.kill('SIGKILL'), 2000);
      await exited;
      clearTimeout(timer);
    },
  };
}
