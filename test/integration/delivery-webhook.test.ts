// The webhook destination against a real local HTTP receiver: payload, signature, idempotency
// keys, retries (500, 429 + Retry-After, dropped and malformed responses, timeouts), 4xx not
// retried, giving up, concurrency with backpressure, and the rate limit.
import { createHmac, timingSafeEqual } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DestinationStoppedError, type Lead, type WriteResult } from '../../src/destinations/destination.ts';
import { webhookDestination } from '../../src/destinations/webhook.ts';
import { resolveRunTime } from '../../src/plan/time.ts';
import type { WebhookDestinationSpec } from '../../src/config/job-schema.ts';
import { leadsOf, startReceiver, type Receiver, type ReceivedRequest } from '../support/http-receiver.ts';

const AT = resolveRunTime('2026-11-23T09:00:00', 'Asia/Shanghai');
const FAST = { backoff: { baseMs: 10, capMs: 50 } };
const SECRET = 'whsec_test_0123456789';

let receiver: Receiver;
beforeAll(async () => (receiver = await startReceiver()));
afterAll(async () => receiver.close());
beforeEach(() => receiver.reset());

const spec = (over: Partial<WebhookDestinationSpec> = {}): WebhookDestinationSpec => ({
  type: 'webhook',
  url: receiver.url,
  headers: {},
  batch_size: 10,
  concurrency: 4,
  timeout: 30,
  max_retries: 6,
  ...over,
});
const leads = (n: number, from = 1): Lead[] =>
  Array.from({ length: n }, (_, i) => ({
    key: String(from + i),
    values: [`name ${from + i}`, `1380000${String(from + i).padStart(4, '0')}`],
  }));

async function deliverAll(s: WebhookDestinationSpec, batches: Lead[][], options = FAST, runId = 'run-1') {
  const d = webhookDestination(s, options);
  await d.open({ job: 'hooks', runId, at: AT, fields: ['name', 'phone'], channel: 'outbound_call' });
  const results: WriteResult = { delivered: [], failed: [] };
  const add = (r: WriteResult) => {
    results.delivered.push(...r.delivered);
    results.failed.push(...r.failed);
  };
  try {
    for (const batch of batches) add(await d.write(batch));
    add(await d.flush!());
  } finally {
    await d.close('ok');
  }
  return results;
}

// The receiver side of the signature scheme, as the README shows it.
function verify(req: ReceivedRequest, secret: string, toleranceSeconds = 300): boolean {
  const timestamp = String(req.headers['x-crm-leads-timestamp']);
  const signature = String(req.headers['x-crm-leads-signature']);
  if (Math.abs(Date.now() / 1000 - Number(timestamp)) > toleranceSeconds) return false;
  const expected = `v1=${createHmac('sha256', secret).update(`${timestamp}.${req.body}`).digest('hex')}`;
  return signature.length === expected.length && timingSafeEqual(Buffer.from(signature), Buffer.from(expected));
}

describe('webhook destination', () => {
  it('posts batches of JSON with the run, the channel and each lead, signed and with an Idempotency-Key', async () => {
    const s = spec({ secret: SECRET, headers: { Authorization: 'Bearer t0ken' } });
    const r = await deliverAll(s, [leads(15), leads(10, 16)]);
    expect(r.delivered.map((l) => l.key)).toEqual(leads(25).map((l) => l.key));
    expect(receiver.requests).toHaveLength(3);
    const first = receiver.requests.find((q) => JSON.parse(q.body).batch === 1)!;
    expect(JSON.parse(first.body)).toEqual({
      job: 'hooks',
      run_id: 'run-1',
      batch: 1,
      channel: 'outbound_call',
      leads: leads(10).map((l) => ({ key: l.key, name: l.values[0], phone: l.values[1] })),
    });
    for (const q of receiver.requests) {
      expect(q.method).toBe('POST');
      expect(q.headers['content-type']).toBe('application/json');
      expect(q.headers.authorization).toBe('Bearer t0ken');
      expect(q.headers['idempotency-key']).toMatch(/^[0-9a-f]{48}$/);
      expect(verify(q, SECRET)).toBe(true);
      expect(verify(q, 'another secret')).toBe(false);
      expect(verify({ ...q, body: q.body.replace('"job":"hooks"', '"job":"hookz"') }, SECRET)).toBe(false);
    }
    expect(new Set(receiver.requests.map((q) => q.headers['idempotency-key'])).size).toBe(3);
    // Without a secret nothing is signed.
    receiver.reset();
    await deliverAll(spec(), [leads(1)]);
    expect(receiver.requests[0].headers['x-crm-leads-signature']).toBeUndefined();
  });

  it('derives the Idempotency-Key from job, at, destination and the batch: another run resending a batch sends the same key', async () => {
    await deliverAll(spec(), [leads(20)], FAST, 'run-1');
    const before = receiver.requests.map((q) => [leadsOf(q)[0].key, q.headers['idempotency-key']]).sort();
    receiver.reset();
    await deliverAll(spec(), [leads(20)], FAST, 'run-2');
    expect(receiver.requests.map((q) => [leadsOf(q)[0].key, q.headers['idempotency-key']]).sort()).toEqual(before);
    receiver.reset();
    await deliverAll(spec(), [leads(20, 2)], FAST, 'run-3'); // other people in the batches: other keys
    const keys = new Set(before.map(([, k]) => k));
    expect(receiver.requests.every((q) => !keys.has(q.headers['idempotency-key'] as string))).toBe(true);
  });

  it('retries 500, 429 with Retry-After, a dropped connection and a malformed response with the same key, then delivers', async () => {
    receiver.queue(
      { status: 500, body: 'oops' },
      { status: 429, headers: { 'retry-after': '1' } },
      { drop: true },
      { malformed: true },
    );
    const started = Date.now();
    const r = await deliverAll(spec(), [leads(3)]);
    expect(r).toEqual({ delivered: leads(3), failed: [] });
    expect(receiver.requests).toHaveLength(5);
    expect(new Set(receiver.requests.map((q) => q.headers['idempotency-key'])).size).toBe(1);
    const afterRetryAfter = receiver.requests[2].receivedAt - receiver.requests[1].receivedAt;
    expect(afterRetryAfter).toBeGreaterThanOrEqual(950); // Retry-After: 1 honoured, not the 10 ms backoff
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('retries a request that gets no answer within the timeout', async () => {
    receiver.queue({ hang: true });
    const started = Date.now();
    const r = await deliverAll(spec({ timeout: 1 }), [leads(2)]);
    expect(r.delivered).toHaveLength(2);
    expect(receiver.requests).toHaveLength(2);
    expect(Date.now() - started).toBeGreaterThanOrEqual(950);
  });

  it('does not retry other 4xx: those leads fail with the status and the start of the body; the rest are delivered', async () => {
    receiver.script = (q) =>
      leadsOf(q).some((l) => l.key === '12')
        ? { status: 422, body: `{"error":"invalid phone for lead 12"}${' padding'.repeat(100)}` }
        : undefined;
    const r = await deliverAll(spec(), [leads(30)]);
    expect(receiver.requests).toHaveLength(3);
    expect(r.delivered.map((l) => l.key)).toEqual([...leads(10), ...leads(10, 21)].map((l) => l.key));
    expect(r.failed.map((f) => f.lead.key)).toEqual(leads(10, 11).map((l) => l.key));
    expect(r.failed[0].error).toMatch(/^HTTP 422: \{"error":"invalid phone for lead 12"\}/);
    expect(r.failed[0].error.length).toBeLessThan(260);
  });

  it('gives a batch up after max_retries, and stops the run when batches keep failing (no endless retries)', async () => {
    receiver.queue({ status: 503 }, { status: 503 }, { status: 503 });
    const r = await deliverAll(spec({ max_retries: 2, concurrency: 1 }), [leads(20)]);
    expect(r.failed.map((f) => f.lead.key)).toEqual(leads(10).map((l) => l.key));
    expect(r.failed[0].error).toBe('HTTP 503 (gave up after 3 attempts)');
    expect(r.delivered.map((l) => l.key)).toEqual(leads(10, 11).map((l) => l.key));

    receiver.reset();
    receiver.script = () => ({ status: 502 });
    const d = webhookDestination(spec({ max_retries: 1, concurrency: 1 }), FAST);
    await d.open({ job: 'hooks', runId: 'run-1', at: AT, fields: ['name', 'phone'] });
    const error = await (async () => {
      for (let i = 0; i < 10; i++) await d.write(leads(10, i * 10 + 1));
      await d.flush!();
    })().catch((e) => e);
    await d.close('failed');
    expect(error).toBeInstanceOf(DestinationStoppedError);
    expect(error.message).toMatch(/3 batches in a row failed after 1 retry each \(last: HTTP 502/);
    expect(receiver.requests.length).toBe(6); // 3 batches x 2 attempts, then nothing more
  });

  it('keeps at most `concurrency` requests in flight: a slow receiver slows write() instead of buffering', async () => {
    receiver.script = () => ({ status: 200, delayMs: 100 });
    const d = webhookDestination(spec({ concurrency: 2 }), FAST);
    await d.open({ job: 'hooks', runId: 'run-1', at: AT, fields: ['name', 'phone'] });
    let given = 0;
    let reported = 0;
    let mostOutstanding = 0;
    const started = Date.now();
    for (let i = 0; i < 10; i++) {
      const r = await d.write(leads(10, i * 10 + 1));
      given += 10;
      reported += r.delivered.length + r.failed.length;
      mostOutstanding = Math.max(mostOutstanding, given - reported);
    }
    reported += (await d.flush!()).delivered.length;
    await d.close('ok');
    expect(receiver.maxConcurrent).toBe(2);
    expect(reported).toBe(100);
    // Never more than the window (2 batches) plus the one being handed over is unacknowledged.
    expect(mostOutstanding).toBeLessThanOrEqual(30);
    expect(Date.now() - started).toBeGreaterThanOrEqual(480); // 10 batches, 2 at a time, 100 ms each
  });

  it('spaces requests to max_requests_per_second', async () => {
    const started = Date.now();
    await deliverAll(spec({ max_requests_per_second: 10, concurrency: 4 }), [leads(60)]);
    expect(receiver.requests).toHaveLength(6);
    // The limiter's promise: the k-th request starts no earlier than k intervals (100 ms) after the
    // first may start. A receive follows its start, so the k-th arrival is at least k intervals after
    // `started`, however late a loaded machine wakes the sender (which only ever delays a start).
    // Gaps between neighbouring arrivals are not promised: a late wake-up shortens the next gap.
    const arrivals = receiver.requests.map((q) => q.receivedAt - started).sort((a, b) => a - b);
    for (const [k, ms] of arrivals.entries()) expect(ms).toBeGreaterThanOrEqual(k * 100 - 5);
    expect(arrivals[5]).toBeGreaterThanOrEqual(495);
  });
});
