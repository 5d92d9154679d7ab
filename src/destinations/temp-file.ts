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
  return {
    tempPath,
    async write(text) {
      if (failure) throw fileError(finalPath, failure, kind);
      if (file.write(text)) return;
      // once() rejects on 'error' too: that error is the one kept in `failure`.
      await Promise.race([once(file, 'drain'), once(file, 'close')]).catch(() => {});
      if (failure) throw fileError(finalPath, failure, kind);
    },
    async commit() {
      try {
        if (failure) throw failure;
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
