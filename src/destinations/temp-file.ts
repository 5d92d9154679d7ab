// A file written under a temporary name in its final folder and renamed only when complete:
// readers never see half a file, a failed run leaves the previous file untouched, and no failure
// (full disk, a write refused, a rename refused) leaves the temporary file behind. A run that
// was killed cannot clean up after itself: the next run writing the same file removes the
// temporary files of processes that no longer exist.
import { createWriteStream, mkdirSync, readdirSync, renameSync, rmSync, type WriteStream } from 'node:fs';
import { once } from 'node:events';
import { basename, dirname, join } from 'node:path';
import { RunError } from '../errors.ts';

export interface TempFile {
  /** Where the file is while it is written (`.<name>.<run id>.<pid>.tmp` beside the final path). */
  readonly tempPath: string;
  /** Writes text (or bytes); resolves once the stream can take more (backpressure). Throws the first write error. */
  write(text: string | Uint8Array): Promise<void>;
  /** Flushes, closes and renames to the final path. On any error the temporary file is removed. */
  commit(): Promise<void>;
  /** Closes and removes the temporary file; never throws. */
  discard(): Promise<void>;
}

/**
 * Opens `.<name>.<tag>.<pid>.tmp` in the final path's folder (created if missing), after removing
 * the temporary files of that same final path left by processes that are gone (killed runs).
 * @throws RunError naming the final path and the cause (folder not writable, disk full, ...).
 */
export async function openTempFile(finalPath: string, tag: string, kind = 'csv'): Promise<TempFile> {
  const folder = dirname(finalPath);
  const tempPath = join(folder, `.${basename(finalPath)}.${tag}.${process.pid}.tmp`);
  let file: WriteStream;
  try {
    mkdirSync(folder, { recursive: true });
    removeStaleTempFiles(finalPath);
    file = createWriteStream(tempPath, { flags: 'wx', highWaterMark: 1 << 20 });
    await once(file, 'open');
  } catch (err) {
    throw fileError(finalPath, err, kind);
  }
  // A write error (ENOSPC, EFBIG) arrives as an event, possibly while nobody awaits: kept here
  // and thrown by the next call, never left to crash the process as an unhandled 'error'.
  let failure: unknown;
  file.on('error', (err) => (failure ??= err));
  const closed = async () => {
    if (!file.closed) {
      if (!file.destroyed) file.destroy();
      await once(file, 'close').catch(() => {});
    }
  };
  const discard = async () => {
    await closed();
    rmSync(tempPath, { force: true });
  };
  const pool = encodingPool(file);
  return {
    tempPath,
    async write(data) {
      if (failure) throw fileError(finalPath, failure, kind);
      let ok: boolean;
      if (typeof data === 'string') ok = await pool.write(data);
      else {
        const flushed = pool.flush();
        ok = file.write(data) && flushed;
      }
      if (!ok && !failure) await drained(file);
      if (failure) throw fileError(finalPath, failure, kind);
    },
    async commit() {
      try {
        if (failure) throw failure;
        pool.flush();
        await new Promise<void>((done, fail) => file.end((err?: Error | null) => (err ? fail(err) : done())));
        if (failure) throw failure;
        renameSync(tempPath, finalPath);
      } catch (err) {
        await discard();
        throw fileError(finalPath, err, kind);
      }
    },
    discard: () => discard().catch(() => {}),
  };
}

// Text is encoded into a few buffers reused write after write, not a new Buffer per write: a
// 900k-row CSV is 42 MB of one-use Buffers that, queued behind the disk, outlived young-generation
// collections and stayed until a full one (peak RSS +25 MB when rows came fast). Order is kept:
// a buffer goes to the stream when full, or before any bytes written directly.
const POOL_BUFFERS = 4;
const POOL_BUFFER_BYTES = 256 * 1024;

interface EncodingPool {
  /** Copies the text into the pool; false when the stream asks to wait for 'drain'. */
  write(text: string): Promise<boolean>;
  /** Hands the partly filled buffer to the stream; false when it asks to wait for 'drain'. */
  flush(): boolean;
}

function encodingPool(file: WriteStream): EncodingPool {
  const encoder = new TextEncoder();
  const free: Buffer[] = Array.from({ length: POOL_BUFFERS }, () => Buffer.allocUnsafe(POOL_BUFFER_BYTES));
  let current: Buffer | undefined;
  let used = 0;
  let wake: (() => void) | undefined;
  const release = (buffer: Buffer) => {
    free.push(buffer);
    const w = wake;
    wake = undefined;
    w?.();
  };
  // A destroyed stream (a write error, a discard) may never call back: nobody waits on it then.
  file.once('close', () => wake?.());
  const flush = () => {
    if (!current || used === 0) return true;
    const buffer = current;
    current = undefined;
    const bytes = used;
    used = 0;
    return file.write(buffer.subarray(0, bytes), () => release(buffer));
  };
  return {
    async write(text) {
      let ok = true;
      for (let rest = text; rest.length > 0; ) {
        if (!current) {
          while (free.length === 0 && !file.destroyed) await new Promise<void>((resolve) => (wake = resolve));
          if (file.destroyed) return true; // the stream's error (or discard) is reported by the caller
          current = free.pop()!;
        }
        const { read, written } = encoder.encodeInto(rest, current.subarray(used));
        used += written;
        rest = read === rest.length ? '' : rest.slice(read);
        if (rest.length > 0 || used === POOL_BUFFER_BYTES) ok = flush() && ok;
      }
      return ok;
    },
    flush,
  };
}

function drained(file: WriteStream): Promise<void> {
  // One pair of listeners per wait, both removed: Promise.race of two once() calls left the
  // loser's listeners behind (MaxListenersExceededWarning after 11 waits in one file).
  return new Promise<void>((resolve) => {
    const done = () => {
      file.off('drain', done);
      file.off('close', done);
      resolve();
    };
    file.on('drain', done);
    file.on('close', done);
  });
}

// Only this file's temporary files, and only those of processes that no longer run: another
// live process (a run of another job with the same path) keeps its own.
function removeStaleTempFiles(finalPath: string): void {
  const prefix = `.${basename(finalPath)}.`;
  let names: string[];
  try {
    names = readdirSync(dirname(finalPath));
  } catch {
    return;
  }
  for (const name of names) {
    if (!name.startsWith(prefix) || !name.endsWith('.tmp')) continue;
    const pid = Number(/\.(\d+)\.tmp$/.exec(name)?.[1]);
    if (Number.isInteger(pid) && pid > 0 && !processAlive(pid)) rmSync(join(dirname(finalPath), name), { force: true });
  }
}

function processAlive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it exists, under another user.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

const CAUSES: Record<string, string> = {
  ENOSPC: 'the disk is full',
  EDQUOT: 'the disk quota is exhausted',
  EFBIG: 'the file is larger than this process may write (ulimit -f) or the file system allows',
  EISDIR: 'the path is a folder',
  EACCES: 'permission denied',
  EROFS: 'the file system is read-only',
  EXDEV: 'the temporary file and the target are on different devices',
};

/** One line naming the file and the cause, e.g. "csv out/a.csv: the disk is full (ENOSPC)". */
export function fileError(path: string, err: unknown, kind = 'csv'): RunError {
  if (err instanceof RunError) return err;
  const e = err as NodeJS.ErrnoException;
  const cause = (e.code && CAUSES[e.code]) ?? (e.message ?? String(err)).split('\n')[0].replace(/^E[A-Z]+: /, '');
  return new RunError(`${kind} ${path}: ${cause}${e.code ? ` (${e.code})` : ''}`, { cause: err });
}
