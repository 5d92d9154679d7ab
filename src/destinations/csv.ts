// CSV for analysts: RFC 4180, UTF-8 (optional BOM for Excel), written to a temporary file in
// the same folder and renamed only when complete (temp-file.ts), so a failed run leaves no
// partial file and the previous one untouched. "-" writes to stdout, which cannot be taken back:
// its header waits for the first lead (or the run's successful end), so a run that fails before
// its first lead writes nothing there; one that fails later leaves the rows sent so far, and its
// exit code says so.
import { once } from 'node:events';
import { type FileHandle, open } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { Writable } from 'node:stream';
import { RunError } from '../errors.ts';
import { fillPathTemplate } from '../config/path-template.ts';
import { csvLine } from './csv-escape.ts';
import type { Destination, DestinationContext, DestinationSummary, Lead, WriteResult } from './destination.ts';
import { openTempFile, type TempFile } from './temp-file.ts';

export interface CsvOptions {
  path: string;
  bom: boolean;
  /**
   * Add this run's leads under the rows already in the file (written whole again under a
   * temporary name, so a failed run still leaves the file as it was); a new file starts with
   * the header. The existing file's header must be this job's fields.
   */
  append?: boolean;
  stdout?: Writable;
}

/** The path a run writes: {{job}}, {{date}} (local date of `at`) and {{run_id}} replaced. */
export function expandPathTemplate(template: string, ctx: Pick<DestinationContext, 'job' | 'runId' | 'at'>): string {
  return fillPathTemplate(template, { job: ctx.job, runId: ctx.runId, date: ctx.at.date });
}

/** A CSV file (or stdout for "-"); its leads count as delivered only once the file is complete. */
export function csvDestination(options: CsvOptions): Destination {
  const toStdout = options.path === '-';
  let file: TempFile | undefined;
  let stdout: Writable | undefined;
  let finalPath = '';
  let written = 0;
  // stdout only: the header line, until the first lead or a successful end sends it.
  let heldHeader = '';
  const write = (text: string) => {
    if (file) return file.write(text);
    const out = heldHeader + text;
    heldHeader = '';
    return writeStdout(stdout!, out);
  };
  const self: Destination & { target: string } = {
    type: 'csv',
    target: options.path,
    deliversOnClose: true,
    async open(ctx) {
      if (toStdout) {
        stdout = options.stdout ?? process.stdout;
        heldHeader = csvLine(ctx.fields);
        return;
      }
      finalPath = resolve(expandPathTemplate(options.path, ctx));
      self.target = finalPath;
      file = await openTempFile(finalPath, ctx.runId);
      const header = csvLine(ctx.fields);
      try {
        if (options.append && (await copyExisting(finalPath, header, file))) return;
        await write((options.bom ? '\uFEFF' : '') + header);
      } catch (err) {
        await file?.discard();
        throw err;
      }
    },
    async write(batch: Lead[]): Promise<WriteResult> {
      if (batch.length === 0) return { delivered: [], failed: [] };
      let chunk = '';
      for (const lead of batch) chunk += csvLine(lead.values);
      await write(chunk);
      written += batch.length;
      return { delivered: batch, failed: [] };
    },
    async close(outcome): Promise<DestinationSummary> {
      if (file && outcome === 'ok') await file.commit();
      else await file?.discard();
      // A run without leads still prints its header when it succeeds.
      if (heldHeader && outcome === 'ok') await write('');
      heldHeader = '';
      return {
        type: 'csv',
        target: toStdout ? 'stdout' : finalPath,
        delivered: outcome === 'ok' ? written : 0,
        failed: 0,
      };
    },
  };
  return self;
}

const BOM = Buffer.from('\uFEFF');

/**
 * For mode: append: copies the file at `path` (BOM, header and rows as they are) into `into`.
 * False when there is no file, or an empty one, to add to.
 * @throws RunError when the file's first line is not `header` (another job's, or other fields).
 */
async function copyExisting(path: string, header: string, into: TempFile): Promise<boolean> {
  let handle: FileHandle;
  try {
    handle = await open(path, 'r');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw new RunError(`${path}: cannot read the file to append to: ${(err as Error).message}`);
  }
  try {
    // The header line as written, or as an editor left it (LF, no final line break).
    const expected = Buffer.from(header.replace(/\r\n$/, ''));
    const start = Buffer.alloc(BOM.length + expected.length + 1);
    const { bytesRead } = await handle.read(start, 0, start.length, 0);
    if (bytesRead === 0) return false;
    const bom = start.subarray(0, BOM.length).equals(BOM) ? BOM.length : 0;
    const end = bom + expected.length;
    const lineEnds = bytesRead === end || start[end] === 0x0d || start[end] === 0x0a;
    if (!start.subarray(bom, end).equals(expected) || !lineEnds)
      throw new RunError(
        `${path}: mode: append, but the file's first line is not this job's header (${header.trim()}); ` +
          'move the file away, or write to another path',
      );
    let last = 0;
    for await (const chunk of handle.createReadStream({ start: 0, autoClose: false }) as AsyncIterable<Buffer>) {
      await into.write(chunk);
      last = chunk[chunk.length - 1];
    }
    // A file edited by hand may lack the final line break: the first new row starts a line.
    if (last !== 0x0a) await into.write('\r\n');
    return true;
  } finally {
    await handle.close();
  }
}

// stdout closed by its reader (`| head`: EPIPE) is a failed run with one line, not a crash.
async function writeStdout(out: Writable, text: string): Promise<void> {
  if (out.writableEnded || out.destroyed) throw new RunError('csv stdout: the output was closed');
  let failure: Error | undefined;
  const onError = (err: Error) => (failure ??= err);
  out.on('error', onError);
  try {
    const ok = out.write(text);
    if (!ok) await Promise.race([once(out, 'drain'), once(out, 'close')]);
  } finally {
    out.off('error', onError);
  }
  if (failure) throw new RunError(`csv stdout: ${failure.message.split('\n')[0]}`);
}
