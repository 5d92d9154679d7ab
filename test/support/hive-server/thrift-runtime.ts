// The Thrift runtime and the TCLIService code generated for hive-driver are CommonJS without
// type declarations; loading them here (once) keeps `any` out of the rest of the server and
// guarantees the server encodes with the very same generated structs the client decodes with.
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

/* eslint-disable @typescript-eslint/no-explicit-any */
export const thrift: any = require('thrift');
export const TCLIService: any = require('hive-driver/thrift/gen-nodejs/TCLIService.js');
export const T: any = require('hive-driver/thrift/gen-nodejs/TCLIService_types.js');
// Thrift's binary protocol writes i64 from objects exposing `.buffer` (node-int64), so big
// values never pass through a JS number.
export const Int64: any = require('node-int64');
const InputBufferUnderrunError: any = require('thrift/lib/nodejs/lib/thrift/input_buffer_underrun_error.js');

/** True when a thrift read ran out of bytes: the rest of the message is still on the wire. */
export function isUnderrun(error: unknown): boolean {
  return error instanceof InputBufferUnderrunError;
}

export function int64FromDecimalString(value: string): unknown {
  const buffer = Buffer.alloc(8);
  buffer.writeBigInt64BE(BigInt(value));
  return new Int64(buffer);
}

/** Request fields typed i64 arrive as node-int64 objects (or plain numbers from some callers). */
export function int64ToNumber(value: unknown, fallback = 0): number {
  if (value === null || value === undefined) return fallback;
  if (typeof value === 'number') return value;
  const n = (value as { toNumber(allowImprecise: boolean): number }).toNumber(true);
  return Number.isFinite(n) ? n : fallback;
}
