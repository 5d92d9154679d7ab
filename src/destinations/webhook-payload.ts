// The webhook body, `{ job, run_id, batch, channel, leads: [ { key, fields… } ] }`.
//
// Two writers give the same bytes. The usual one hands the leads to JSON.stringify as plain
// objects of one shape, so the text is built once in V8's serializer: building it by string
// concatenation made ~1 KB of garbage strings a lead (half of everything a 900k-lead webhook
// run allocated, measured with the sampling heap profiler). The hand-written one (field names
// escaped once per run, each value quoted or stringified alone) takes the batches JSON.stringify
// would write differently: a value that is an object other than a Date (a JSON column), or
// field names an object cannot keep in order (array indexes such as "0", "__proto__",
// duplicates).
import type { Lead } from './destination.ts';

export interface PayloadHeader {
  job: string;
  runId: string;
  channel?: string;
  fields: string[];
}

/** The body of one batch (number `batch`, from 1) as UTF-8 JSON. Throws RangeError for an invalid Date value. */
export type PayloadWriter = (batch: number, leads: readonly Lead[]) => Buffer;

export function payloadWriter(header: PayloadHeader): PayloadWriter {
  // `key` is the person key. A lead field may be named `key` only when it is the key's own
  // column (load-job.ts refuses any other for a webhook job): the same value, written once.
  // The envelope's names (job, run_id, batch, channel, leads) are one level up: lead fields of
  // those names are kept as they are.
  const columns = header.fields.map((name, index) => ({ name, index })).filter((c) => c.name !== 'key');
  const names = columns.map((c) => c.name);
  const indexes = columns.map((c) => c.index);
  const head = `{"job":${JSON.stringify(header.job)},"run_id":${JSON.stringify(header.runId)},"batch":`;
  const channel = `,"channel":${header.channel === undefined ? 'null' : JSON.stringify(header.channel)},"leads":`;
  const byHand = handWriter(names, indexes);
  const objects = objectsKeepOrder(names) ? plainObjects(names, indexes) : () => undefined;
  return (batch, leads) => {
    const plain = objects(leads);
    const list = plain ? JSON.stringify(plain) : byHand(leads);
    // Written piece by piece: `head + list` would be copied whole into one more string first.
    const start = head + batch + channel;
    const body = Buffer.allocUnsafe(Buffer.byteLength(start) + Buffer.byteLength(list) + 1);
    let at = body.write(start, 0);
    at += body.write(list, at);
    body[at] = 0x7d; // }
    return body;
  };
}

/** The leads as `{ key, field: value… }` objects JSON.stringify writes as the hand writer would; undefined if one value is not plain. */
function plainObjects(names: string[], indexes: number[]): (leads: readonly Lead[]) => object[] | undefined {
  return (leads) => {
    const out = new Array<object>(leads.length);
    for (let i = 0; i < leads.length; i++) {
      const lead = leads[i];
      const values = lead.values;
      // The key with its JSON type (a number stays a number), like a field of its column.
      const key = plainValue(lead.keyValue ?? lead.key);
      if (key === NOT_PLAIN) return undefined;
      const o: Record<string, unknown> = { key };
      for (let c = 0; c < names.length; c++) {
        const v = plainValue(values[indexes[c]]);
        if (v === NOT_PLAIN) return undefined;
        o[names[c]] = v;
      }
      out[i] = o;
    }
    return out;
  };
}

const NOT_PLAIN = Symbol('not plain');

// What JSON.stringify writes for a value inside an object, made to match jsonValue(): undefined
// (and functions, symbols) would drop the property, where a lead keeps it as null.
function plainValue(v: unknown): unknown {
  switch (typeof v) {
    case 'string':
    case 'number': // NaN and ±Infinity: null either way
    case 'boolean':
      return v;
    case 'bigint':
      return String(v); // as text, like big keys: JavaScript receivers would round a number
    case 'object':
      if (v === null) return null;
      return v instanceof Date ? v.toISOString() : NOT_PLAIN;
    default:
      return null;
  }
}

// Property names an object keeps in insertion order and writes as given: integer-like names
// come first whatever their order, `__proto__` sets the prototype, a duplicate is kept once.
function objectsKeepOrder(names: string[]): boolean {
  const arrayIndex = (n: string) => /^(?:0|[1-9]\d*)$/.test(n) && Number(n) < 2 ** 32 - 1;
  return new Set(names).size === names.length && names.every((n) => n !== '__proto__' && !arrayIndex(n));
}

function handWriter(names: string[], indexes: number[]): (leads: readonly Lead[]) => string {
  const prefixes = names.map((name) => `,${JSON.stringify(name)}:`);
  return (leads) => {
    const parts = new Array<string>(leads.length);
    for (let i = 0; i < leads.length; i++) {
      const lead = leads[i];
      let out = '{"key":' + jsonValue(lead.keyValue ?? lead.key);
      for (let c = 0; c < prefixes.length; c++) out += prefixes[c] + jsonValue(lead.values[indexes[c]]);
      parts[i] = out + '}';
    }
    return '[' + parts.join(',') + ']';
  };
}

// Strings that need no escaping (the usual case: names, phones, cities) are quoted directly;
// JSON.stringify handles the rest.
const NEEDS_ESCAPE = /["\\\u0000-\u001f\ud800-\udfff]/;

function jsonValue(v: unknown): string {
  switch (typeof v) {
    case 'number':
      return Number.isFinite(v) ? '' + v : 'null';
    case 'string':
      return NEEDS_ESCAPE.test(v) ? JSON.stringify(v) : '"' + v + '"';
    case 'boolean':
      return v ? 'true' : 'false';
    case 'bigint':
      return '"' + v + '"'; // as text, like big keys: JavaScript receivers would round a number
    case 'undefined':
      return 'null';
    default:
      return v === null ? 'null' : v instanceof Date ? JSON.stringify(v.toISOString()) : (JSON.stringify(v) ?? 'null');
  }
}
