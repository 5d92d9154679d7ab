// The hand-written webhook body must be exactly what JSON.stringify of the same leads gives.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { payloadWriter } from '../../src/destinations/webhook-payload.ts';
import { idempotencyKey } from '../../src/destinations/webhook-signing.ts';

const value = fc.oneof(
  fc.string(),
  fc.string({ unit: 'binary' }),
  fc.string({ unit: 'grapheme' }),
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.dictionary(fc.string(), fc.integer()),
);

describe('webhook payload', () => {
  it('equals JSON.stringify of { job, run_id, batch, channel, leads: [{ key, fields… }] } for any values', () => {
    const fields = ['name', 'phone', 'city'];
    const write = payloadWriter({ job: 'j"ob', runId: 'r\\1', channel: '外呼', fields });
    fc.assert(
      fc.property(
        fc.array(fc.record({ key: fc.string(), values: fc.tuple(value, value, value) }), { maxLength: 20 }),
        fc.nat(),
        (leads, batch) => {
          const expected = JSON.stringify({
            job: 'j"ob',
            run_id: 'r\\1',
            batch,
            channel: '外呼',
            leads: leads.map((l) => ({ key: l.key, ...Object.fromEntries(fields.map((f, i) => [f, l.values[i]])) })),
          });
          expect(write(batch, leads).toString('utf8')).toBe(Buffer.from(expected).toString('utf8'));
        },
      ),
      { numRuns: 300 },
    );
  });

  it('writes big integers as text and a missing channel as null', () => {
    const body = JSON.parse(
      payloadWriter({ job: 'j', runId: 'r', fields: ['id'] })(1, [
        { key: '9007199254740993', values: [9007199254740993n] },
      ]).toString(),
    );
    expect(body).toEqual({
      job: 'j',
      run_id: 'r',
      batch: 1,
      channel: null,
      leads: [{ key: '9007199254740993', id: '9007199254740993' }],
    });
  });

  it('keeps fields in order whatever their names and values (integer-like names, __proto__, dates, undefined, numbers as keys)', () => {
    const write = payloadWriter({ job: 'j', runId: 'r', fields: ['b', '0', '__proto__', 'key', 'when'] });
    const at = new Date('2026-11-23T01:02:03.004Z');
    const leads = [
      { key: '7', keyValue: 7, values: ['x', 1, 'p', '7', at] },
      { key: '8', keyValue: 8n, values: [undefined, Number.NaN, null, '8', () => 1] },
    ];
    expect(write(2, leads).toString()).toBe(
      '{"job":"j","run_id":"r","batch":2,"channel":null,"leads":[' +
        '{"key":7,"b":"x","0":1,"__proto__":"p","when":"2026-11-23T01:02:03.004Z"},' +
        '{"key":"8","b":null,"0":null,"__proto__":null,"when":null}]}',
    );
    // The same leads under ordinary names, written through JSON.stringify, give the same values.
    const plain = payloadWriter({ job: 'j', runId: 'r', fields: ['b', 'zero', 'proto', 'key', 'when'] });
    expect(JSON.parse(plain(2, leads).toString()).leads).toEqual([
      { key: 7, b: 'x', zero: 1, proto: 'p', when: '2026-11-23T01:02:03.004Z' },
      { key: '8', b: null, zero: null, proto: null, when: null },
    ]);
  });

  it('derives one Idempotency-Key per (job, at, destination, batch keys)', () => {
    const key = idempotencyKey('job', '2026-11-23T09:00:00+08:00', 'http://crm/leads', ['1', '2']);
    expect(idempotencyKey('job', '2026-11-23T09:00:00+08:00', 'http://crm/leads', ['1', '2'])).toBe(key);
    for (const other of [
      idempotencyKey('job2', '2026-11-23T09:00:00+08:00', 'http://crm/leads', ['1', '2']),
      idempotencyKey('job', '2026-11-23T10:00:00+08:00', 'http://crm/leads', ['1', '2']),
      idempotencyKey('job', '2026-11-23T09:00:00+08:00', 'http://crm/other', ['1', '2']),
      idempotencyKey('job', '2026-11-23T09:00:00+08:00', 'http://crm/leads', ['1', '3']),
      idempotencyKey('job', '2026-11-23T09:00:00+08:00', 'http://crm/leads', ['12']),
    ])
      expect(other).not.toBe(key);
  });
});
