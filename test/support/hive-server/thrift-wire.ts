// Feeds a byte stream into the TCLIService processor, the way thrift's own createServer does,
// but usable after a SASL handshake has already consumed the start of the stream.
import type { Duplex } from 'node:stream';
import { thrift, isUnderrun } from './thrift-runtime.ts';

/* eslint-disable @typescript-eslint/no-explicit-any */
export type ThriftProcessor = { process(input: any, output: any): void };

export interface ReceiverHooks {
  write(bytes: Buffer): void;
  /** The bytes cannot be a TCLIService call (the connection is unusable). */
  onFatal(error: unknown): void;
  /** A chunk ended before its first message did (HTTP: the body was all there is). */
  onIncomplete?(): void;
}

/**
 * `Transport` is thrift.TBufferedTransport (raw: NOSASL, HTTP) or thrift.TFramedTransport
 * (after SASL). Returns the function to call with each received chunk.
 */
export function thriftReceiver(processor: ThriftProcessor, Transport: any, hooks: ReceiverHooks) {
  const { write, onFatal, onIncomplete } = hooks;
  return Transport.receiver((transportWithData: any) => {
    let processed = 0;
    const input = new thrift.TBinaryProtocol(transportWithData);
    // Replies are flushed asynchronously (the handler returns promises), possibly out of order;
    // the client matches them by sequence id.
    const output = new thrift.TBinaryProtocol(new Transport(undefined, write));
    try {
      for (;;) {
        processor.process(input, output);
        transportWithData.commitPosition();
        processed += 1;
      }
    } catch (error) {
      // Running out of bytes is the normal end of a batch: wait for the rest of the message.
      if (isUnderrun(error) || (error as Error)?.message === 'Invalid type: undefined') {
        transportWithData.rollbackPosition();
        if (processed === 0) onIncomplete?.();
      } else {
        onFatal(error);
      }
    }
  }) as (chunk: Buffer) => void;
}

export function attachThrift(stream: Duplex, processor: ThriftProcessor, Transport: any, alreadyRead?: Buffer): void {
  const receive = thriftReceiver(processor, Transport, {
    write: (bytes) => {
      if (!stream.destroyed && stream.writable) stream.write(bytes);
    },
    // A message the generated code cannot parse leaves the stream unusable; HiveServer2 drops the connection too.
    onFatal: () => stream.destroy(),
  });
  stream.on('data', receive);
  if (alreadyRead && alreadyRead.length > 0) receive(alreadyRead);
}
