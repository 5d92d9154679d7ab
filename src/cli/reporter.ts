// The CLI's reporter: a live progress line on a terminal; without one, a log line every few
// seconds; with --log-format json, structured lines for log collectors.
import type { Progress, Reporter } from '../run/reporter.ts';
import { printErr } from './output.ts';
import { redact } from '../secrets.ts';

const LOG_EVERY_MS = 10_000;

export function cliReporter(format: 'text' | 'json', stream: NodeJS.WriteStream = process.stderr): Reporter & { done(): void } {
  const tty = format === 'text' && stream.isTTY === true;
  let lastLog = 0;
  let lineOpen = false;
  const json = (level: string, msg: string, fields?: Record<string, unknown>) =>
    stream.write(redact(JSON.stringify({ level, time: new Date().toISOString(), msg, ...fields })) + '\n');
  return {
    info: (msg, fields) => (format === 'json' ? json('info', msg, fields) : printErr(msg)),
    warn: (msg, fields) => (format === 'json' ? json('warn', msg, fields) : printErr(`warning: ${msg}`)),
    progress(p: Progress) {
      const now = Date.now();
      if (tty) {
        if (now - lastLog < 200) return;
        lastLog = now;
        stream.write(`\r${p.job}: ${p.rows} rows read, ${p.leads} leads, ${rate(p)}/s, ${(p.elapsedMs / 1000).toFixed(0)}s   `);
        lineOpen = true;
      } else if (now - lastLog >= LOG_EVERY_MS) {
        if (lastLog !== 0) {
          if (format === 'json') json('info', 'progress', { ...p, rate: rate(p) });
          else printErr(`${p.job}: ${p.rows} rows read, ${p.leads} leads, ${rate(p)}/s`);
        }
        lastLog = now;
      }
    },
    done() {
      if (lineOpen) stream.write('\n');
      lineOpen = false;
      lastLog = 0;
    },
  };
}

const rate = (p: Progress) => Math.round(p.rows / Math.max(p.elapsedMs / 1000, 0.001));
