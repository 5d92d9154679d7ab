// A long-running CLI child (e.g. `crm-leads schedule --log-format json`) that a test watches
// line by line and signals, as a process supervisor would.
import { spawn, type ChildProcess } from 'node:child_process';
import { BIN } from './cli.ts';

export interface LogEvent {
  level: string;
  time: string;
  msg: string;
  event?: string;
  job?: string;
  [field: string]: unknown;
}

export interface LongRunningCli {
  child: ChildProcess;
  /** Parsed JSON log lines from stderr, in order. */
  events: LogEvent[];
  stdoutLines: string[];
  stderr(): string;
  /** Resolves with the first event (counting from `from`) that matches, or rejects after timeoutMs. */
  waitFor(match: (e: LogEvent) => boolean, timeoutMs?: number, from?: number): Promise<LogEvent>;
  /** Resolves with the exit code; kills the child with SIGKILL if it outlives timeoutMs. */
  exited(timeoutMs?: number): Promise<number | null>;
}

export function startCli(args: string[], options: { cwd: string; env?: NodeJS.ProcessEnv }): LongRunningCli {
  const child = spawn(process.execPath, [BIN, ...args], {
    cwd: options.cwd,
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const events: LogEvent[] = [];
  const stdoutLines: string[] = [];
  let stderrText = '';
  let stderrRest = '';
  let stdoutRest = '';
  const listeners = new Set<() => void>();
  child.stderr!.on('data', (chunk) => {
    stderrText += chunk;
    const lines = (stderrRest + chunk).split('\n');
    stderrRest = lines.pop()!;
    for (const line of lines) {
      try {
        events.push(JSON.parse(line));
      } catch {
        /* a non-JSON line (e.g. a Node warning): kept in stderr() */
      }
    }
    for (const l of listeners) l();
  });
  child.stdout!.on('data', (chunk) => {
    const lines = (stdoutRest + chunk).split('\n');
    stdoutRest = lines.pop()!;
    stdoutLines.push(...lines.filter(Boolean));
  });
  let closed = false;
  const exit = new Promise<number | null>((resolve) =>
    child.on('close', (code) => {
      closed = true;
      resolve(code);
    }),
  );
  return {
    child,
    events,
    stdoutLines,
    stderr: () => stderrText,
    waitFor(match, timeoutMs = 20_000, from = 0) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const found = events.slice(from).find(match);
          if (!found) return false;
          cleanup();
          resolve(found);
          return true;
        };
        const timer = setTimeout(() => {
          cleanup();
          reject(new Error(`no matching log event within ${timeoutMs} ms; stderr so far:\n${stderrText}`));
        }, timeoutMs);
        const onExit = () => {
          if (check()) return;
          cleanup();
          reject(new Error(`the process exited before a matching log event; stderr:\n${stderrText}`));
        };
        const cleanup = () => {
          clearTimeout(timer);
          listeners.delete(check);
          child.off('close', onExit);
        };
        listeners.add(check);
        child.on('close', onExit);
        if (!check() && closed) onExit();
      });
    },
    async exited(timeoutMs = 30_000) {
      const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
      try {
        return await exit;
      } finally {
        clearTimeout(timer);
      }
    },
  };
}
