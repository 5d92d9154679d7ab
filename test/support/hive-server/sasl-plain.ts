// Server side of the SASL negotiation HiveServer2 runs (Thrift's TSaslServerTransport) before
// any Thrift message when hive.server2.authentication is NONE/LDAP/CUSTOM. Every negotiation
// message is [status:1][length:4 BE][payload]; after COMPLETE the Thrift stream is
// length-prefixed frames, i.e. exactly what thrift.TFramedTransport reads and writes.
import type { Socket } from 'node:net';

export enum SaslStatus {
  START = 1,
  OK = 2,
  BAD = 3,
  ERROR = 4,
  COMPLETE = 5,
}

/** Negotiation frames are tiny; anything bigger means the peer is not speaking SASL. */
const MAX_NEGOTIATION_PAYLOAD = 64 * 1024;

export interface SaslPlainResult {
  user: string;
  /** Bytes the client sent after its last negotiation frame (normally none). */
  rest: Buffer;
}

function frame(status: SaslStatus, payload: Buffer): Buffer {
  const header = Buffer.alloc(5);
  header.writeUInt8(status, 0);
  header.writeUInt32BE(payload.length, 1);
  return Buffer.concat([header, payload]);
}

/** PLAIN (RFC 4616) initial response: authzid NUL authcid NUL passwd. */
function parsePlainResponse(payload: Buffer): { user: string; password: string } | null {
  const parts = payload.toString('utf8').split('\0');
  if (parts.length !== 3) return null;
  return { user: parts[1], password: parts[2] };
}

/**
 * Runs the PLAIN handshake on a fresh socket. Resolves with the authenticated user, or null
 * after answering BAD/ERROR and closing the socket, which is how HiveServer2 rejects a login:
 * the client reads the status byte and fails instead of waiting.
 * `users` undefined accepts any credentials (hive.server2.authentication=NONE).
 */
export function negotiateSaslPlain(
  socket: Socket,
  users: Record<string, string> | undefined,
): Promise<SaslPlainResult | null> {
  return new Promise((resolve) => {
    let buffered = Buffer.alloc(0);
    let sawStart = false;

    const finish = (result: SaslPlainResult | null) => {
      socket.off('data', onData);
      socket.off('close', onClose);
      resolve(result);
    };
    const reject = (status: SaslStatus.BAD | SaslStatus.ERROR, message: string) => {
      socket.end(frame(status, Buffer.from(message, 'utf8')));
      finish(null);
    };
    const onClose = () => finish(null);

    function onData(chunk: Buffer) {
      buffered = Buffer.concat([buffered, chunk]);
      while (buffered.length >= 5) {
        const status = buffered.readUInt8(0);
        const length = buffered.readUInt32BE(1);
        if (status < SaslStatus.START || status > SaslStatus.COMPLETE || length > MAX_NEGOTIATION_PAYLOAD) {
          // Thrift's TSaslTransport answers ERROR to a peer that does not frame SASL (e.g. a NOSASL client).
          return reject(SaslStatus.ERROR, `Invalid status ${(status << 24) >> 24}`);
        }
        if (buffered.length < 5 + length) return;
        const payload = buffered.subarray(5, 5 + length);
        buffered = buffered.subarray(5 + length);

        if (!sawStart) {
          if (status !== SaslStatus.START)
            return reject(SaslStatus.ERROR, 'Expecting START status, received ' + status);
          const mechanism = payload.toString('utf8');
          if (mechanism !== 'PLAIN') return reject(SaslStatus.BAD, `Unsupported mechanism type ${mechanism}`);
          sawStart = true;
          continue;
        }
        // Java clients mark PLAIN's single response COMPLETE, hive-driver marks it OK: accept both.
        if (status !== SaslStatus.OK && status !== SaslStatus.COMPLETE) {
          return reject(SaslStatus.ERROR, 'Expecting OK or COMPLETE status, received ' + status);
        }
        const credentials = parsePlainResponse(payload);
        const accepted =
          credentials !== null &&
          (users === undefined ||
            (Object.hasOwn(users, credentials.user) && users[credentials.user] === credentials.password));
        // HiveServer2's PlainSaslServer wraps every failed login in this message.
        if (!accepted) return reject(SaslStatus.BAD, 'Error validating the login');
        socket.write(frame(SaslStatus.COMPLETE, Buffer.alloc(0)));
        return finish({ user: credentials.user, rest: buffered });
      }
    }

    socket.on('data', onData);
    socket.on('close', onClose);
  });
}
