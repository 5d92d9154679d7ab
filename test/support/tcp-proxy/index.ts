// Starts the cutting TCP proxy (proxy-process.mjs) as a real child process in front of a
// database server, for lost-connection tests.
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export type CutMode = 'fin' | 'rst' | 'stall' | 'none';

export interface TcpProxy {
  port: number;
  /** Connections cut so far, with the bytes the server had sent through each. */
  cuts: { cut: CutMode; bytes: number }[];
  /** From now on nothing is forwarded and no connection closes (a dead link). */
  stall(): void;
  close(): Promise<void>;
}

const SCRIPT = fileURLToPath(new URL('./proxy-process.mjs', import.meta.url));

/**
 * A proxy to host:port that cuts every connection `mode` once the server sent `afterBytes`,
 * listening on `listenPort` (default: any free port; a fixed one lets a test restart it).
 */
export function startTcpProxy(
  host: string,
  port: number,
  mode: CutMode,
  afterBytes = 0,
  listenPort = 0,
): Promise<TcpProxy> {
  const child: ChildProcess = spawn(
    process.execPath,
    [SCRIPT, host, String(port), mode, String(afterBytes), String(listenPort)],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const cuts: TcpProxy['cuts'] = [];
  return new Promise((resolve, reject) => {
    let rest = '';
    child.on('error', reject);
    child.on('exit', (code) => reject(new Error(`the proxy exited (${code}) before listening`)));
    child.stdout!.on('data', (chunk) => {
      const lines = (rest + chunk).split('\n');
      rest = lines.pop()!;
      for (const line of lines) {
        const message = JSON.parse(line) as { port?: number; cut?: CutMode; bytes?: number };
        if (message.port)
          resolve({
            port: message.port,
            cuts,
            stall: () => child.kill('SIGUSR2'),
            close: async () => {
              if (child.exitCode !== null) return;
              const exited = new Promise((done) => child.once('exit', done));
              child.kill('SIGTERM');
              await exited;
            },
          });
        else cuts.push(message as TcpProxy['cuts'][number]);
      }
    });
  });
}
