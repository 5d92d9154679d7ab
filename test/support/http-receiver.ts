// A real HTTP receiver on 127.0.0.1 (node:http) for webhook tests: each request is answered
// as a script says (a status, slowly, not at all, a dropped connection, a malformed response)
// and recorded with its headers and body.
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export interface ReceivedRequest {
  /** 0-based arrival order. */
  index: number;
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
  receivedAt: number;
  /** The status answered, once answered; undefined for dropped, malformed or hung requests. */
  status?: number;
}

export type Reply =
  /** `after`: answer only once this promise settles (a test holding a sender mid-run). */
  | { status: number; headers?: Record<string, string>; body?: string; delayMs?: number; after?: Promise<unknown> }
  /** Close the connection without answering. */
  | { drop: true; delayMs?: number }
  /** Answer bytes that are not HTTP. */
  | { malformed: true }
  /** Never answer (until the receiver closes). */
  | { hang: true };

/** Decides the reply to a request; undefined means 200. */
export type Script = (request: ReceivedRequest) => Reply | undefined;

export interface Receiver {
  url: string;
  requests: ReceivedRequest[];
  /** Requests answered with a 2xx status. */
  readonly acknowledged: ReceivedRequest[];
  /** The most requests that were being handled at the same time. */
  readonly maxConcurrent: number;
  script: Script;
  /** Replies for the next requests, in order; then the script decides. */
  queue(...replies: Reply[]): void;
  reset(): void;
  close(): Promise<void>;
}

export async function startReceiver(script: Script = () => undefined): Promise<Receiver> {
  const requests: ReceivedRequest[] = [];
  const queued: Reply[] = [];
  const sockets = new Set<Socket>();
  let concurrent = 0;
  let maxConcurrent = 0;
  const server: Server = createServer({ keepAlive: true }, (req, res) => {
    concurrent++;
    maxConcurrent = Math.max(maxConcurrent, concurrent);
    let done = false;
    const finish = () => {
      if (!done) concurrent--;
      done = true;
    };
    res.on('close', finish);
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const received: ReceivedRequest = {
        index: requests.length,
        method: req.method ?? '',
        path: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
        receivedAt: Date.now(),
      };
      requests.push(received);
      const reply: Reply = queued.shift() ?? receiver.script(received) ?? { status: 200 };
      const act = () => {
        if ('hang' in reply) return;
        if ('drop' in reply) {
          finish();
          req.socket.destroy();
          return;
        }
        if ('malformed' in reply) {
          finish();
          req.socket.end('HTTP/1.1 twohundred OK?\r\n\x00\x01garbage\r\n\r\n');
          return;
        }
        received.status = reply.status;
        res.writeHead(reply.status, { 'content-type': 'text/plain', ...reply.headers });
        res.end(reply.body ?? '');
      };
      const delay = 'delayMs' in reply ? reply.delayMs : undefined;
      const after = 'after' in reply ? reply.after : undefined;
      if (after) void after.finally(act);
      else if (delay) setTimeout(act, delay);
      else act();
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const receiver: Receiver = {
    url: `http://127.0.0.1:${port}/leads`,
    requests,
    get acknowledged() {
      return requests.filter((r) => r.status !== undefined && r.status >= 200 && r.status < 300);
    },
    get maxConcurrent() {
      return maxConcurrent;
    },
    script,
    queue: (...replies) => void queued.push(...replies),
    reset() {
      requests.length = 0;
      queued.length = 0;
      maxConcurrent = 0;
      receiver.script = () => undefined;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
  return receiver;
}

/** The leads of a webhook request body. */
export function leadsOf(request: ReceivedRequest): { key: string; [field: string]: unknown }[] {
  // Keys as text, so tests compare people whatever the key column's type: the JSON type of the
  // key itself (a number for an integer column) is pinned in webhook-envelope.test.ts.
  return (JSON.parse(request.body) as { leads: { key: unknown }[] }).leads.map((l) => ({ ...l, key: String(l.key) }));
}
