// Runs the real CLI in a child process, as users and orchestrators do.
import { spawn } from 'node:child_process';
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
      const last = stdout.trim().split('\n').pop();
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
