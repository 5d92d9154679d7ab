// Webhook signing and idempotency.
//
// Signature (only with `secret`): the receiver recomputes
//   hex(HMAC-SHA256(secret, `${X-Crm-Leads-Timestamp}.${raw request body}`))
// and compares it in constant time with X-Crm-Leads-Signature, which reads `v1=<hex>`; it
// rejects timestamps (Unix seconds) more than 5 minutes from its clock, so a captured request
// cannot be replayed later. Every attempt is signed afresh with its own timestamp.
//
// Idempotency-Key: a hash of (job, the run's logical at, destination, the batch's person keys
// in order). A retry sends the same batch, and so does a re-run with the same --at that resends
// a batch whose acknowledgement never reached the ledger (crash): both carry the same key.
// `watch` has no stable `at` (a restarted watcher ticks at other times), so its key hashes
// (job, destination, each lead's person key and trigger event time) — what makes a watch
// delivery one delivery (issue 11) — and a restart that resends the batch sends the same key.
import { createHash, createHmac } from 'node:crypto';

export const TIMESTAMP_HEADER = 'x-crm-leads-timestamp';
export const SIGNATURE_HEADER = 'x-crm-leads-signature';

export function signBody(secret: string, timestampSeconds: number, body: Buffer): string {
  return `v1=${createHmac('sha256', secret).update(`${timestampSeconds}.`).update(body).digest('hex')}`;
}

export function idempotencyKey(job: string, atIso: string, destination: string, keys: readonly string[]): string {
  return createHash('sha256')
    .update(`crm-leads\0${job}\0${atIso}\0${destination}\0${keys.join('\n')}\n`)
    .digest('hex')
    .slice(0, 48);
}

/**
 * The Idempotency-Key of a `watch` batch: a hash of (job, destination, each lead's person key
 * and trigger event time, in batch order); 48 hex characters. The same leads give the same key
 * whatever tick sends them.
 */
export function watchIdempotencyKey(
  job: string,
  destination: string,
  leads: readonly { key: string; triggerTime: string }[],
): string {
  const lines = leads.map((l) => JSON.stringify([l.key, l.triggerTime])).join('\n');
  return createHash('sha256').update(`crm-leads-watch\0${job}\0${destination}\0${lines}\n`).digest('hex').slice(0, 48);
}
