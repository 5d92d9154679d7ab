// CSV for analysts: RFC 4180, UTF-8 (optional BOM for Excel), written to a temporary file in
// the same folder and renamed only when complete (temp-file.ts), so a failed run leaves no
// partial file and the previous one untouched. "-" writes to stdout, which cannot be taken back:
// its header waits for the first lead (or the run's successful end), so a run that fails before
// its first lead writes nothing there; one that fails later leaves the rows sent so far, and its
// exit code says so.
import { once } from 'node:events';
import { resolve } from 'node:path';
import type { Writable } from 'node:stream';
import { RunError } from '../errors.ts';
import { csvLine } from './csv-escape.ts';
import type { Destination, DestinationContext, DestinationSummary, Lead, WriteResult } from './destination.ts';
import { openTempFile, type TempFile } from './temp-file.ts';

export interface CsvOptions {
  path: string;
  bom: boolean;
  stdout?: Writable;
}

export function expandPathTemplate(template: string, ctx: Pick<DestinationContext, 'job' | 'runId' | 'at'>): string {
  return template
    .replaceAll('{{job}}', ctx.job)
    .replaceAll('{{date}}', ctx.at.date)
    .replaceAll('{{run_id}}', ctx.runId);
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
      try {
        await write((options.bom ? '\uFEFF' : '') + csvLine(ctx.fields));
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
