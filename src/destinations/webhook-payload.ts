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
  // `key` is the person key; a lead field of that name would shadow it, so it is left out.
  const columns = header.fields.map((name, index) => ({ index, prefix: `,${JSON.stringify(name)}:` })).filter((_, i) => header.fields[i] !== 'key');
  const head = `{"job":${JSON.stringify(header.job)},"run_id":${JSON.stringify(header.runId)},"batch":`;
  const channel = `,"channel":${header.channel === undefined ? 'null' : JSON.stringify(header.channel)},"leads":[`;
  return (batch, leads) => {
    let out = head + batch + channel;
    for (let i = 0; i < leads.length; i++) {
      const lead = leads[i];
      out += (i === 0 ? '{"key":' : ',{"key":') + JSON.stringify(lead.key);
      for (const c of columns) out += c.prefix + jsonValue(lead.values[c.index]);
      out += '}';
    }
    return Buffer.from(out + ']}');
  };
}

function jsonValue(v: unknown): string {
  switch (typeof v) {
    case 'number': return Number.isFinite(v) ? String(v) : 'null';
    case 'string': return JSON.stringify(v);
    case 'boolean': return v ? 'true' : 'false';
    case 'bigint': return String(v);
    case 'undefined': return 'null';
    default: return v === null ? 'null' : v instanceof Date ? JSON.stringify(v.toISOString()) : JSON.stringify(v) ?? 'null';
  }
}
