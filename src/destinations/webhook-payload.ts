// The webhook body, `{ job, run_id, batch, channel, leads: [ { key, fields… } ] }`, written by
// hand: the field names are escaped once per run, and each value costs one small stringify.
import type { Lead } from './destination.ts';

export interface PayloadHeader {
  job: string;
  runId: string;
  channel?: string;
  fields: string[];
}

export type PayloadWriter = (batch: number, leads: readonly Lead[]) => Buffer;

export function payloadWriter(header: PayloadHeader): PayloadWriter {
  // `key` is the person key. A lead field may be named `key` only when it is the key's own
  // column (load-job.ts refuses any other for a webhook job): the same value, written once.
  // The envelope's names (job, run_id, batch, channel, leads) are one level up: lead fields of
  // those names are kept as they are.
  const columns = header.fields
    .map((name, index) => ({ index, prefix: `,${JSON.stringify(name)}:` }))
    .filter((_, i) => header.fields[i] !== 'key');
  const head = `{"job":${JSON.stringify(header.job)},"run_id":${JSON.stringify(header.runId)},"batch":`;
  const channel = `,"channel":${header.channel === undefined ? 'null' : JSON.stringify(header.channel)},"leads":[`;
  const prefixes = columns.map((c) => c.prefix);
  const indexes = columns.map((c) => c.index);
  return (batch, leads) => {
    let body = head + batch + channel;
    for (let i = 0; i < leads.length; i++) {
      const lead = leads[i];
      // The key with its JSON type (a number stays a number), like a field of its column.
      const key = lead.keyValue ?? lead.key;
      const values = lead.values;
      // Strings are quoted as they are, and all of one lead's strings checked for characters
      // that need escaping with one regex test instead of one per value (most need none).
      let texts = '';
      let out: string;
      if (typeof key === 'string') {
        texts = key;
        out = '{"key":"' + key + '"';
      } else out = '{"key":' + jsonValue(key);
      for (let c = 0; c < prefixes.length; c++) {
        const v = values[indexes[c]];
        if (typeof v === 'string') {
          texts += v;
          out += prefixes[c] + '"' + v + '"';
        } else out += prefixes[c] + jsonValue(v);
      }
      if (NEEDS_ESCAPE.test(texts)) {
        out = '{"key":' + jsonValue(key);
        for (let c = 0; c < prefixes.length; c++) out += prefixes[c] + jsonValue(values[indexes[c]]);
      }
      body += i === 0 ? out + '}' : ',' + out + '}';
    }
    return Buffer.from(body + ']}');
  };
}

// Strings that need no escaping (the usual case: names, phones, cities) are quoted directly;
// JSON.stringify handles the rest. About twice as fast as stringifying every value.
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
