// Webhook destination: leads POSTed as JSON in batches over keep-alive connections (undici).
//
// Flow, in named parts: the batcher cuts the leads into batches of batch_size; the request
// window starts each batch as soon as one of `concurrency` slots is free; the sender POSTs it
// with its retry policy; the results ledger keeps what was acknowledged or failed until write()
// or flush() hands it over. write() returns once its batches are in flight: a full window makes
// it wait, so a slow receiver slows the warehouse read instead of growing memory. flush() sends
// the rest and waits for every request; only acknowledged leads are ever reported as delivered.
import { Pool } from 'undici';
import type { WebhookDestinationSpec } from '../config/job-schema.ts';
import { RunError } from '../errors.ts';
import { batcher } from './batcher.ts';
import { DestinationStoppedError, type Destination, type DestinationSummary, type Lead } from './destination.ts';
import { rateLimiter } from './rate-limiter.ts';
import { requestWindow } from './request-window.ts';
import { resultsLedger } from './results-ledger.ts';
import { DEFAULT_BACKOFF, type BackoffOptions } from './retry-policy.ts';
import { payloadWriter, type PayloadWriter } from './webhook-payload.ts';
import { webhookHeaders, webhookSender, type WebhookSender } from './webhook-sender.ts';
import { idempotencyKey, watchIdempotencyKey } from './webhook-signing.ts';
import { count } from '../plural.ts';

export interface WebhookOptions {
  backoff?: Partial<BackoffOptions>;
  /** Batches in a row that fail after all their retries before the run stops (not retrying forever). */
  giveUpAfterBatches?: number;
}

/**
 * The webhook destination of a job's `type: webhook` entry.
 * write()/flush() throw DestinationStoppedError (with the results so far) once
 * `giveUpAfterBatches` (default 3) batches in a row failed transiently after all their retries.
 */
export function webhookDestination(
  spec: WebhookDestinationSpec,
  options: WebhookOptions = {},
): Destination & { target: string } {
  const url = new URL(spec.url);
  // Printed and used as the destination's identity: no credentials, no query (tokens rotate).
  const target = `${url.origin}${url.pathname}`;
  const giveUpAfter = options.giveUpAfterBatches ?? 3;
  const stop = new AbortController();
  const batches = batcher(spec.batch_size);
  const window = requestWindow(spec.concurrency);
  const ledger = resultsLedger();
  let pool: Pool | undefined;
  let sender: WebhookSender;
  let payload: PayloadWriter;
  let keyOf: (leads: Lead[]) => string;
  let sequence = 0;
  let failedInARow = 0;
  let fatal: RunError | undefined;

  const throwIfFatal = () => {
    if (fatal) throw new DestinationStoppedError(fatal.message, ledger.take());
  };

  // One batch, start to end: sent, its outcome recorded; transient failures in a row stop the run.
  async function deliver(leads: Lead[], batch: number): Promise<void> {
    const outcome = await sender.send(payload(batch, leads), keyOf(leads));
    if (outcome.ok) {
      failedInARow = 0;
      ledger.delivered(leads);
      return;
    }
    ledger.failed(leads, outcome.error);
    // Only transient failures point at a receiver that is down; a 4xx is an answer.
    failedInARow = outcome.transient ? failedInARow + 1 : 0;
    if (failedInARow >= giveUpAfter && !fatal) {
      fatal = new RunError(
        `webhook ${target}: ${failedInARow === 1 ? 'a batch' : `${failedInARow} batches in a row`} failed after ${count(spec.max_retries, 'retry')} each (last: ${outcome.error}); stopping the run`,
      );
      stop.abort(fatal);
    }
  }

  const dispatch = (leads: Lead[]) =>
    window.start(
      () =>
        deliver(leads, ++sequence)
          // Aborted by close('failed') or by giving up: those leads are simply not delivered.
          .catch((err) => {
            if (!stop.signal.aborted)
              fatal ??= new RunError(`webhook ${target}: ${(err as Error).message}`, { cause: err });
          }),
      throwIfFatal,
    );

  return {
    type: 'webhook',
    target,
    deliversOnClose: false,
    batchSize: spec.batch_size,
    async open(ctx) {
      payload = payloadWriter({ job: ctx.job, runId: ctx.runId, channel: ctx.channel, fields: ctx.fields });
      const triggerTimeOf = ctx.triggerTimeOf;
      keyOf = triggerTimeOf
        ? (leads) =>
            watchIdempotencyKey(
              ctx.job,
              target,
              leads.map((l) => ({ key: l.key, triggerTime: triggerTimeOf(l) })),
            )
        : (leads) =>
            idempotencyKey(
              ctx.job,
              ctx.at.iso,
              target,
              leads.map((l) => l.key),
            );
      pool = new Pool(url.origin, {
        connections: spec.concurrency,
        pipelining: 1,
        keepAliveTimeout: 30_000,
        headersTimeout: 0,
        bodyTimeout: 0,
      });
      sender = webhookSender({
        dispatcher: pool,
        path: `${url.pathname}${url.search}`,
        headers: webhookHeaders(spec, url),
        secret: spec.secret,
        timeoutSeconds: spec.timeout,
        maxRetries: spec.max_retries,
        backoff: { ...DEFAULT_BACKOFF, ...options.backoff },
        limiter: rateLimiter(spec.max_requests_per_second),
        signal: stop.signal,
      });
    },
    async write(leads) {
      throwIfFatal();
      for (const lead of leads) {
        const full = batches.add(lead);
        if (full) await dispatch(full);
      }
      return ledger.take();
    },
    async flush() {
      throwIfFatal();
      const rest = batches.rest();
      if (rest.length > 0) await dispatch(rest);
      await window.drain();
      throwIfFatal();
      return ledger.take();
    },
    async close(outcome): Promise<DestinationSummary> {
      if (outcome === 'failed' || window.inFlight > 0) {
        stop.abort(new RunError('run stopped'));
        await window.drain();
      }
      await pool?.close().catch(() => {});
      return { type: 'webhook', target, ...ledger.counts() };
    },
  };
}
