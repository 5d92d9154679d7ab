// hive.server2.transport.mode=http: each Thrift call is one HTTP POST to the servlet path whose
// body and response are unframed TBinaryProtocol (hive-driver's HttpConnection uses
// TBufferedTransport), authenticated per request with HTTP Basic.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { thrift } from './thrift-runtime.ts';
import { thriftReceiver, type ThriftProcessor } from './thrift-wire.ts';
import type { Listener } from './binary-transport.ts';

/** hive.server2.thrift.http.path default. */
export const DEFAULT_HTTP_PATH = '/cliservice';

export interface HttpListenOptions {
  path?: string;
  users?: Record<string, string>;
}

function basicCredentials(header: string | undefined): { user: string; password: string } | null {
  const match = /^Basic\s+(\S+)$/i.exec(header ?? '');
  if (!match) return null;
  const decoded = Buffer.from(match[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return colon < 0 ? null : { user: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

function authorized(header: string | undefined, users: Record<string, string> | undefined): boolean {
  if (users === undefined) return true; // hive.server2.authentication=NONE accepts anyone
  const credentials = basicCredentials(header);
  return (
    credentials !== null && Object.hasOwn(users, credentials.user) && users[credentials.user] === credentials.password
  );
}

/**
 * HiveServer2 answers a failed login with 401 and a text body. hive-driver (thrift's
 * HttpConnection) then emits 'error' on the client but still tries to decode the body as the
 * reply, never finds one, and the pending call hangs forever. Keeping the 401 but making the
 * body a Thrift exception for the same call makes that call reject instead.
 */
function authenticationFailure(body: Buffer): Buffer | null {
  try {
    // TBufferedTransport ignores a buffer given to its constructor; its receiver is how bytes get in.
    let request: { fname: string; rseqid: number } | null = null;
    thrift.TBufferedTransport.receiver((transport: unknown) => {
      request = new thrift.TBinaryProtocol(transport).readMessageBegin();
    })(body);
    if (request === null) return null;
    const { fname, rseqid } = request;
    let reply: Buffer | null = null;
    const output = new thrift.TBinaryProtocol(
      new thrift.TBufferedTransport(undefined, (bytes: Buffer) => {
        reply = bytes;
      }),
    );
    output.writeMessageBegin(fname, thrift.Thrift.MessageType.EXCEPTION, rseqid);
    new thrift.Thrift.TApplicationException(
      thrift.Thrift.TApplicationExceptionType.UNKNOWN,
      'Authentication Error: Error validating the login',
    ).write(output);
    output.writeMessageEnd();
    output.flush();
    return reply;
  } catch {
    return null;
  }
}

export function listenHttp(processor: ThriftProcessor, options: HttpListenOptions): Promise<Listener> {
  const path = options.path ?? DEFAULT_HTTP_PATH;
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      if ((req.url ?? '').split('?')[0] !== path) return void res.writeHead(404).end();
      if (req.method !== 'POST') return void res.writeHead(405, { Allow: 'POST' }).end();
      if (!authorized(req.headers.authorization, options.users)) {
        res.writeHead(401, { 'Content-Type': 'application/x-thrift' });
        return void res.end(authenticationFailure(body) ?? 'Authentication Error: Error validating the login');
      }
      let answered = false;
      const answer = (status: number, bytes?: Buffer) => {
        if (answered) return;
        answered = true;
        res.writeHead(status, { 'Content-Type': 'application/x-thrift' }).end(bytes);
      };
      thriftReceiver(processor, thrift.TBufferedTransport, {
        write: (bytes) => answer(200, bytes),
        onFatal: () => answer(400),
        onIncomplete: () => answer(400),
      })(body);
    });
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      resolve({
        port,
        close: () =>
          new Promise<void>((done) => {
            // Node's client agent keeps sockets alive, which would hold server.close() open.
            server.closeAllConnections();
            server.close(() => done());
          }),
      });
    });
  });
}
