// CSV for analysts: RFC 4180, UTF-8 (optional BOM for Excel), written to a temporary file in
// the same folder and renamed only when complete, so a failed run leaves no partial file and
// the previous one untouched. "-" writes to stdout.
import { createWriteStream, mkdirSync, renameSync, rmSync, type WriteStream } from 'node:fs';
import { once } from 'node:events';
import { basename, dirname, join, resolve } from 'node:path';
import type { Writable } from 'node:stream';
import { RunError } from '../errors.ts';
import { csvLine } from './csv-escape.ts';
import type { Destination, DestinationContext, DestinationSummary, Lead, WriteResult } from './destination.ts';

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

export function csvDestination(options: CsvOptions): Destination {
  let out: Writable | undefined;
  let finalPath = '';
  let tempPath = '';
  let written = 0;
  const toStdout = options.path === '-';
  const write = async (chunk: string) => {
    if (!out!.write(chunk)) await once(out!, 'drain');
  };
  const self: Destination & { target: string } = {
    type: 'csv',
    target: options.path,
    deliversOnClose: true,
    async open(ctx) {
      if (toStdout) {
        out = options.stdout ?? process.stdout;
      } else {
        finalPath = resolve(expandPathTemplate(options.path, ctx));
        self.target = finalPath;
        tempPath = join(dirname(finalPath), `.${basename(finalPath)}.${ctx.runId}.tmp`);
        try {
          mkdirSync(dirname(finalPath), { recursive: true });
          const file: WriteStream = createWriteStream(tempPath, { flags: 'wx', highWaterMark: 1 << 20 });
          await once(file, 'open');
          out = file;
        } catch (err) {
          throw new RunError(`csv: cannot write ${finalPath}: ${(err as Error).message}`);
        }
      }
      await write((options.bom && !toStdout ? '\uFEFF' : '') + csvLine(ctx.fields));
    },
    async write(batch: Lead[]): Promise<WriteResult> {
      let chunk = '';
      for (const lead of batch) chunk += csvLine(lead.values);
      await write(chunk);
      written += batch.length;
      return { delivered: batch, failed: [] };
    },
    async close(outcome): Promise<DestinationSummary> {
      if (!toStdout && out) {
        const file = out as WriteStream;
        await new Promise<void>((done, fail) => file.end((err?: Error | null) => (err ? fail(err) : done())));
        if (outcome === 'ok') renameSync(tempPath, finalPath);
        else rmSync(tempPath, { force: true });
      }
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
