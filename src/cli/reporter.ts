// The CLI's reporter: a live progress line on a terminal; without one, a log line every few
// seconds; with --log-format json, structured pino lines for log collectors. Every line, in
// either format, passes through redact(), so no secret reaches a log.
import { count } from '../plural.ts';
import { createRequire } from 'node:module';
import type * as Pino from 'pino';
import type { Progress, Reporter } from '../run/reporter.ts';
import { redact } from '../secrets.ts';
import { routeErrLines } from './output.ts';

const LOG_EVERY_MS = 10_000;
const TTY_REFRESH_MS = 200;

export type LogFormat = 'text' | 'json';
type Fields = Record<string, unknown>;

export interface CliReporter extends Reporter {
  error(message: string, fields?: Fields): void;
  /** Ends an open progress line and resets the log-line timer (between jobs). */
  done(): void;
}

export interface CliReporterOptions {
  /** 'lines' never draws the live line, even on a terminal (the scheduler's runs interleave). */
  progress?: 'auto' | 'lines';
  logEveryMs?: number;
}

export function parseLogFormat(text: string | undefined): LogFormat {
  return text === 'json' ? 'json' : 'text';
}

export function cliReporter(
  format: LogFormat,
  stream: NodeJS.WritableStream & { isTTY?: boolean } = process.stderr,
  options: CliReporterOptions = {},
): CliReporter {
  const log = format === 'json' ? jsonLog(stream) : textLog(stream);
  const tty = format === 'text' && options.progress !== 'lines' && stream.isTTY === true;
  const every = options.logEveryMs ?? LOG_EVERY_MS;
  // Per job: several scheduled jobs may report progress at the same time.
  const lastLog = new Map<string, number>();
  let lineOpen = false;
  return {
    ...log,
    progress(p: Progress) {
      const now = Date.now();
      const last = lastLog.get(p.job);
      if (tty) {
        if (last !== undefined && now - last < TTY_REFRESH_MS) return;
        lastLog.set(p.job, now);
        stream.write(
          redact(
            `\r${p.job}: ${count(p.rows, 'row')} read, ${count(p.leads, 'lead')}, ${rate(p)}/s, ${(p.elapsedMs / 1000).toFixed(0)}s   `,
          ),
        );
        lineOpen = true;
      } else if (last === undefined) {
        lastLog.set(p.job, now); // the first batch starts the clock; short runs log nothing
      } else if (now - last >= every) {
        lastLog.set(p.job, now);
        log.info(`${p.job}: ${count(p.rows, 'row')} read, ${count(p.leads, 'lead')}, ${rate(p)}/s`, {
          event: 'progress',
          ...p,
          rate: rate(p),
        });
      }
    },
    done() {
      if (lineOpen) stream.write('\n');
      lineOpen = false;
      lastLog.clear();
    },
  };
}

/** --log-format json: the command's other stderr lines (results, errors) become log records too. */
export function routeStderrToJsonLog(stream: NodeJS.WritableStream = process.stderr): void {
  const log = jsonLog(stream);
  routeErrLines((line, level, fields) => log[level](line.replace(/^(error|warning): /, ''), fields));
}

type Log = Pick<CliReporter, 'info' | 'warn' | 'error'>;

function textLog(stream: NodeJS.WritableStream): Log {
  const line = (text: string) => stream.write(redact(text) + '\n');
  return {
    info: (msg) => line(msg),
    warn: (msg) => line(`warning: ${msg}`),
    error: (msg) => line(`error: ${msg}`),
  };
}

// pino is loaded only for --log-format json: it costs start-up time every text run would pay.
function jsonLog(stream: NodeJS.WritableStream): Log {
  const { pino, stdTimeFunctions } = createRequire(import.meta.url)('pino') as typeof Pino;
  const logger: Pino.Logger = pino(
    {
      base: undefined, // no pid/hostname: collectors add their own
      timestamp: stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      // The last line of defence: whatever pino serialised (messages, fields, error causes).
      hooks: { streamWrite: redact },
    },
    stream,
  );
  return {
    info: (msg, fields) => logger.info(fields ?? {}, msg),
    warn: (msg, fields) => logger.warn(fields ?? {}, msg),
    error: (msg, fields) => logger.error(fields ?? {}, msg),
  };
}

const rate = (p: Progress) => Math.round(p.rows / Math.max(p.elapsedMs / 1000, 0.001));
