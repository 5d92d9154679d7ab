// hive.server2.transport.mode=binary: Thrift over a plain TCP socket.
// NOSASL: hive-driver's NoSaslAuthentication switches the client to TBufferedTransport, i.e.
// unframed TBinaryProtocol messages back to back. PLAIN: SASL negotiation first, then
// TFramedTransport (hive-driver's TcpConnection default), matching HiveServer2's SASL framing.
import net from 'node:net';
import { thrift } from './thrift-runtime.ts';
import { attachThrift, type ThriftProcessor } from './thrift-wire.ts';
import { negotiateSaslPlain } from './sasl-plain.ts';

export interface BinaryListenOptions {
  auth: 'nosasl' | 'plain';
  users?: Record<string, string>;
}

export interface Listener {
  port: number;
  close(): Promise<void>;
}

export function listenBinary(processor: ThriftProcessor, options: BinaryListenOptions): Promise<Listener> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    // A client vanishing mid-reply is routine in tests (cancel, close); never let it crash the runner.
    socket.on('error', () => socket.destroy());
    socket.setNoDelay(true);
    if (options.auth === 'nosasl') {
      attachThrift(socket, processor, thrift.TBufferedTransport);
      return;
    }
    void negotiateSaslPlain(socket, options.users).then((login) => {
      if (login && !socket.destroyed) attachThrift(socket, processor, thrift.TFramedTransport, login.rest);
    });
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      resolve({
        port,
        close: () =>
          new Promise<void>((done) => {
            for (const socket of sockets) socket.destroy();
            server.close(() => done());
          }),
      });
    });
  });
}
