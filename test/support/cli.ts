// Runs the real CLI in a child process, as users and orchestrators do.
import { spawn } from 'node:child_process';
import { expect } from 'vitest';
import { fileURLToPath } from 'node:url';
import { withFileSizeLimit } from './full-disk.ts';

export const BIN = fileURLToPath(new URL('../../bin/crm-leads.js', import.meta.url));

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
  /** The last stdout line parsed as JSON (the run summary), if there is one. */
  summary?: Record<string, unknown>;
}

export function runCli(
  args: string[],
  options: {
    cwd?: string;
    env?: NodeJS.ProcessEnv;
    input?: string;
    timeoutMs?: number;
    /** Runs the CLI in a shell with `ulimit -f` of this many KB: writes beyond it fail with EFBIG. */
    fileSizeLimitKb?: number;
  } = {},
): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const [command, argv] =
      options.fileSizeLimitKb === undefined
        ? [process.execPath, [BIN, ...args]]
        : ['bash', withFileSizeLimit(options.fileSizeLimitKb, process.execPath, [BIN, ...args])];
    const child = spawn(command, argv, {
      cwd: options.cwd,
      env: { ...process.env, ...options.env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 60_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      // With `--csv -` the summary is the last JSON line on stderr instead.
      const last =
        args.includes('--csv') && args[args.indexOf('--csv') + 1] === '-'
          ? summaryLines(stderr).pop()
          : stdout.trim().split('\n').pop();
      let summary: Record<string, unknown> | undefined;
      try {
        summary = last ? JSON.parse(last) : undefined;
      } catch {
        summary = undefined;
      }
      resolve({ code, stdout, stderr, summary });
    });
    child.stdin.end(options.input ?? '');
  });
}

/** The JSON summary lines among a stream's lines (stderr with `--csv -`), in order. */
export function summaryLines(text: string): string[] {
  return text.split('\n').filter((l) => l.startsWith('{"job":'));
}

/**
 * `run a.yaml b.yaml --csv -` writes each job's CSV on stdout and its summary on stderr. This
 * puts them back in one text as [CSV of job 1, summary 1, CSV of job 2, summary 2, ...], each
 * CSV being its header and as many lines as its summary counts leads (CRLF lines, no line
 * breaks inside cells), so tests can split the leads per job.
 */
export function csvThenSummaryPerJob(r: CliResult): string {
  const lines = r.stdout.split('\r\n');
  let at = 0;
  const out: string[] = [];
  for (const line of summaryLines(r.stderr)) {
    const leads = Number((JSON.parse(line) as { leads?: number }).leads ?? 0);
    const take = lines[at] === undefined || lines[at] === '' ? 0 : 1 + leads;
    out.push(...lines.slice(at, at + take), line);
    at += take;
  }
  return out.join('\r\n');
}

/**
 * --log-format json: every stderr line parsed as a log record (level, time, msg); fails the
 * test on any line that is not one, or when there is none.
 */
export function jsonLogRecords(r: CliResult): Record<string, unknown>[] {
  const lines = r.stderr.split('\n').filter(Boolean);
  expect(lines.length, r.stderr).toBeGreaterThan(0);
  return lines.map((line) => {
    const record = JSON.parse(line);
    expect(record, line).toMatchObject({
      level: expect.any(String),
      time: expect.any(String),
      msg: expect.any(String),
    });
    return record;
  });
}
