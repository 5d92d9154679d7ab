// Printing: human lines on stderr, the JSON summary as the last stdout line, every string
// redacted. Errors map to exit codes here and nowhere else.
import { EXIT, SpecError, RunError, formatIssue } from '../errors.ts';
import { redact } from '../secrets.ts';

let debug = false;

export function setDebug(on: boolean): void {
  debug = on;
}

export type LogLevel = 'info' | 'warn' | 'error';
type LineSink = (line: string, level: LogLevel, fields?: Record<string, unknown>) => void;
let sink: LineSink | undefined;

/** With --log-format json, stderr lines become records of the structured log (or back, with undefined). */
export function routeErrLines(to: LineSink | undefined): void {
  sink = to;
}

export function printErr(line: string, level: LogLevel = 'info'): void {
  if (sink) sink(line, level);
  else process.stderr.write(redact(line) + '\n');
}

/** A line of a command's own output (a listing) on stdout. */
export function printOut(line: string): void {
  process.stdout.write(redact(line) + '\n');
}

/**
 * The JSON summary line: the last line on stdout, or on stderr when stdout carries data
 * (`--csv -`), so that the data stays clean for the program reading it. On stderr with
 * --log-format json it is a log record like every other stderr line: the summary's fields
 * with `event: "summary"`.
 */
export function printSummary(summary: unknown, to: 'stdout' | 'stderr' = 'stdout'): void {
  if (to === 'stderr' && sink) {
    const s = summary as Record<string, unknown>;
    sink(`${s.job}: ${s.status}`, s.status === 'failed' ? 'error' : 'info', { event: 'summary', ...s });
  } else (to === 'stdout' ? process.stdout : process.stderr).write(redact(JSON.stringify(summary)) + '\n');
}

/** Prints an error in one line (or one per spec issue) and sets the exit code. */
export function handleError(err: unknown): number {
  let code: number = EXIT.failed;
  if (err instanceof SpecError) {
    for (const issue of err.issues) printErr(`error: ${formatIssue(issue)}`, 'error');
    code = EXIT.invalid;
  } else if (err instanceof RunError) {
    printErr(`error: ${err.message}`, 'error');
  } else {
    printErr(`error: ${(err as Error)?.message ?? String(err)}`, 'error');
  }
  if (debug && err instanceof Error && err.stack) printErr(err.stack, 'error');
  setExit(code);
  return code;
}

// When several jobs run, the exit code is the most serious outcome: invalid input, then a
// failed run, then leads not delivered.
const SEVERITY: number[] = [EXIT.ok, EXIT.partial, EXIT.failed, EXIT.invalid];

export function setExit(code: number): void {
  const current = Number(process.exitCode ?? 0);
  if (SEVERITY.indexOf(code) > SEVERITY.indexOf(current)) process.exitCode = code;
}
