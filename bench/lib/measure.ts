// Measuring one process: wall time and peak RSS (from /usr/bin/time -v when present, else the
// kernel's VmHWM polled from /proc), stdout to a file. Shared by every comparison case.
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync } from 'node:fs';

const TIME = '/usr/bin/time';

export interface Measured {
  /** Wall-clock seconds from spawn to exit. */
  seconds: number;
  /** Peak resident set size of the measured process, MB (MiB). */
  peakMb: number;
  /** User + system CPU seconds of the process (from /usr/bin/time; 0 without it). */
  cpuSeconds: number;
  stderr: string;
}

/** Runs `command args` with stdout to `stdoutFile` (or ignored); throws on a non-zero exit. */
export function measure(
  command: string,
  args: string[],
  options: { cwd: string; stdoutFile?: string; stdin?: 'ignore' | 'pipe'; env?: NodeJS.ProcessEnv },
): Promise<Measured> {
  const useTime = existsSync(TIME);
  const out = options.stdoutFile ? openSync(options.stdoutFile, 'w') : 'ignore';
  const started = process.hrtime.bigint();
  const child = useTime
    ? spawn(TIME, ['-v', command, ...args], { cwd: options.cwd, stdio: ['ignore', out, 'pipe'], env: options.env })
    : spawn(command, args, { cwd: options.cwd, stdio: ['ignore', out, 'pipe'], env: options.env });
  let stderr = '';
  child.stderr!.on('data', (d) => (stderr += d));
  let polledKb = 0;
  const poll = useTime
    ? undefined
    : setInterval(() => {
        try {
          const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'));
          if (m) polledKb = Math.max(polledKb, Number(m[1]));
        } catch {
          /* exited */
        }
      }, 20);
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      if (poll) clearInterval(poll);
      if (typeof out === 'number') closeSync(out);
      if (code !== 0) return reject(new Error(`${command} ${args.join(' ')} exited ${code}:\n${stderr.slice(-2000)}`));
      const kb = useTime ? Number(/Maximum resident set size \(kbytes\): (\d+)/.exec(stderr)?.[1] ?? 0) : polledKb;
      const cpu = (label: string) =>
        Number(new RegExp(`${label} time \\(seconds\\): ([\\d.]+)`).exec(stderr)?.[1] ?? 0);
      resolve({ seconds, peakMb: kb / 1024, cpuSeconds: cpu('User') + cpu('System'), stderr });
    });
  });
}

/** Whether a command-line client is installed (the bench installs nothing). */
export function hasCommand(name: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' }).status === 0;
}

export const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

export const log = (line: string) => process.stdout.write(`${line}\n`);

/** Lines in a file (its rows, for a CSV with a header: lines - 1). */
export function lineCount(file: string): number {
  const text = readFileSync(file);
  let n = 0;
  for (let i = text.indexOf(10); i !== -1; i = text.indexOf(10, i + 1)) n++;
  return n;
}

/** The host's load average over 1 minute, for the record next to each figure. */
export function loadAverage(): string {
  return readFileSync('/proc/loadavg', 'utf8').split(' ')[0];
}

/** One row of the table: crm-leads against the best alternative, measured in one run. */
export interface TableRow {
  work: string;
  /** crm-leads ÷ alternative (times), or alternative ÷ crm-leads for throughput rows; undefined: not measured. */
  ratio?: number;
  goal: string;
  met?: boolean;
  detail: string;
}

/**
 * Alternating pairs (A, B, A, B, ...) so that a change in the machine's load hits both sides:
 * returns each side's measurements and the per-pair ratios a / b.
 */
export async function alternate<T>(
  pairs: number,
  a: () => Promise<T>,
  b: () => Promise<T>,
  seconds: (m: T) => number,
): Promise<{ a: T[]; b: T[]; ratios: number[] }> {
  const out = { a: [] as T[], b: [] as T[], ratios: [] as number[] };
  for (let i = 0; i < pairs; i++) {
    // Every other pair starts with B: neither side always runs on a cache the other warmed.
    const first = i % 2 === 0 ? a : b;
    const second = i % 2 === 0 ? b : a;
    const x = await first();
    const y = await second();
    const [ma, mb] = i % 2 === 0 ? [x, y] : [y, x];
    out.a.push(ma);
    out.b.push(mb);
    out.ratios.push(seconds(ma) / seconds(mb));
  }
  return out;
}
