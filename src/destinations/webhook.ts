// Webhook destination: leads POSTed as JSON in batches over keep-alive connections (undici).
//
// Flow: write() cuts the leads into batches of batch_size and starts each one as soon as one
// of `concurrency` slots is free; it returns once its batches are in flight, with the results
// (acknowledged or failed leads) that arrived meanwhile. A full window makes write() wait:
// a slow receiver slows the warehouse read instead of growing memory. flush() sends the rest
// and waits for every request; only acknowledged leads are ever reported as delivered.
import { setTimeout as sleep } from 'node:timers/promises';
import { Pool } from 'undici';
import { RunError } from '../errors.ts';
import {
  DestinationStoppedError,
  type Destination,
  type DestinationContext,
  type DestinationSummary,
  type Lead,
  type WriteResult,
} from './destination.ts';
import { rateLimiter } from './rate-limiter.ts';
import { backoffMs, DEFAULT_BACKOFF, isRetryableStatus, parseRetryAfter, type BackoffOptions } from './retry-policy.ts';
import { payloadWriter, type PayloadWriter } from './webhook-payload.ts';
import { idempotencyKey, SIGNATURE_HEADER, signBody, TIMESTAMP_HEADER } from './webhook-signing.ts';
import type { WebhookDestinationSpec } from '../config/job-schema.ts';

export interface WebhookOptions {
  backoff?: Partial<BackoffOptions>;
  /** Batches in a row that fail after all their retries before the run stops (not retrying forever). */
  giveUpAfterBatches?: number;
}

type Attempt = { ok: true } | { ok: false; retry: boolean; error: string; retryAfterMs?: number };

const ERROR_BODY_CHARS = 200;
const USER_AGENT = 'crm-leads';

export function webhookDestination(
  spec: WebhookDestinationSpec,
  options: WebhookOptions = {},
): Destination & { target: string } {
  const url = new URL(spec.url);
  // Printed and used as the destination's identity: no credentials, no query (tokens rotate).
  const target = `${url.origin}${url.pathname}`;
  const backoff = { ...DEFAULT_BACKOFF, ...options.backoff };
  const giveUpAfter = options.giveUpAfterBatches ?? 3;
  const limiter = rateLimiter(spec.max_requests_per_second);
  const stop = new AbortController();
  // Header names are case-insensitive: lower-cased so that a job's Content-Type cannot be sent twice.
  const jobHeaders = Object.fromEntries(
    Object.entries(spec.headers).map(([name, value]) => [name.toLowerCase(), value]),
  );
  const baseHeaders: Record<string, string> = {
    'user-agent': USER_AGENT,
    ...jobHeaders,
    'content-type': 'application/json',
  };
  if (url.username)
    baseHeaders.authorization = `Basic ${Buffer.from(`${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`).toString('base64')}`;
  const path = `${url.pathname}${url.search}`;

  let pool: Pool | undefined;
  let ctx: DestinationContext;
  let payload: PayloadWriter;
  let current: Lead[] = [];
  let sequence = 0;
  let inFlight = 0;
  const slotWaiters: (() => void)[] = [];
  const pending = new Set<Promise<void>>();
  let results: WriteResult = { delivered: [], failed: [] };
  let delivered = 0;
  let failed = 0;
  let failedInARow = 0;
  let fatal: RunError | undefined;

  const takeResults = (): WriteResult => {
    const out = results;
    results = { delivered: [], failed: [] };
    return out;
  };
  const throwIfFatal = () => {
    if (fatal) throw new DestinationStoppedError(fatal.message, takeResults());
  };

  async function attempt(body: Buffer, key: string): Promise<Attempt> {
    const headers: Record<string, string> = { ...baseHeaders, 'idempotency-key': key };
    if (spec.secret) {
      const timestamp = Math.floor(Date.now() / 1000);
      headers[TIMESTAMP_HEADER] = String(timestamp);
      headers[SIGNATURE_HEADER] = signBody(spec.secret, timestamp, body);
    }
    const timeout = AbortSignal.timeout(spec.timeout * 1000);
    try {
      const response = await pool!.request({
        path,
        method: 'POST',
        headers,
        body,
        signal: AbortSignal.any([stop.signal, timeout]),
      });
      if (response.statusCode >= 200 && response.statusCode < 300) {
        await response.body.dump();
        return { ok: true };
      }
      const error = `HTTP ${response.statusCode}${await bodyStart(response.body)}`;
      return {
        ok: false,
        retry: isRetryableStatus(response.statusCode),
        error,
        retryAfterMs: parseRetryAfter(response.headers['retry-after']),
      };
    } catch (err) {
      if (stop.signal.aborted) throw err;
      if (timeout.aborted) return { ok: false, retry: true, error: `no response within ${spec.timeout}s` };
      const e = err as { code?: string; message?: string };
      return {
        ok: false,
        retry: true,
        error: `network error: ${e.message ?? String(err)}${e.code ? ` (${e.code})` : ''}`,
      };
    }
  }

  async function send(leads: Lead[], batch: number): Promise<void> {
    const body = payload(batch, leads);
    const key = idempotencyKey(
      ctx.job,
      ctx.at.iso,
      target,
      leads.map((l) => l.key),
    );
    for (let tries = 1; ; tries++) {
      await limiter.take(stop.signal);
      const outcome = await attempt(body, key);
      if (outcome.ok) {
        failedInARow = 0;
        delivered += leads.length;
        for (const lead of leads) results.delivered.push(lead);
        return;
      }
      if (!outcome.retry || tries > spec.max_retries) {
        const error = outcome.retry ? `${outcome.error} (gave up after ${tries} attempts)` : outcome.error;
        failed += leads.length;
        for (const lead of leads) results.failed.push({ lead, error });
        // Only transient failures point at a receiver that is down; a 4xx is an answer.
        failedInARow = outcome.retry ? failedInARow + 1 : 0;
        if (failedInARow >= giveUpAfter && !fatal) {
          fatal = new RunError(
            `webhook ${target}: ${failedInARow} batches in a row failed after ${spec.max_retries} retries each (last: ${error}); stopping the run`,
          );
          stop.abort(fatal);
        }
        return;
      }
      await sleep(
        outcome.retryAfterMs !== undefined
          ? Math.min(outcome.retryAfterMs, backoff.maxRetryAfterMs)
          : backoffMs(tries, backoff),
        undefined,
        { signal: stop.signal },
      );
    }
  }

  async function dispatch(leads: Lead[]): Promise<void> {
    while (inFlight >= spec.concurrency) await new Promise<void>((wake) => slotWaiters.push(wake));
    throwIfFatal();
    inFlight++;
    const request = send(leads, ++sequence)
      // Aborted by close('failed') or by giving up: those leads are simply not delivered.
      .catch((err) => {
        if (!stop.signal.aborted)
          fatal ??= new RunError(`webhook ${target}: ${(err as Error).message}`, { cause: err });
      })
      .finally(() => {
        inFlight--;
        pending.delete(request);
        slotWaiters.shift()?.();
      });
    pending.add(request);
  }

  const self: Destination & { target: string } = {
    type: 'webhook',
    target,
    deliversOnClose: false,
    batchSize: spec.batch_size,
    async open(context) {
      ctx = context;
      payload = payloadWriter({
        job: context.job,
        runId: context.runId,
        channel: context.channel,
        fields: context.fields,
      });
      pool = new Pool(url.origin, {
        connections: spec.concurrency,
        pipelining: 1,
        keepAliveTimeout: 30_000,
        headersTimeout: 0,
        bodyTimeout: 0,
      });
    },
    async write(batch) {
      throwIfFatal();
      for (const lead of batch) {
        current.push(lead);
        if (current.length === spec.batch_size) {
          const full = current;
          current = [];
          await dispatch(full);
        }
      }
      return takeResults();
    },
    async flush() {
      throwIfFatal();
      if (current.length > 0) {
        const rest = current;
        current = [];
        await dispatch(rest);
      }
      while (pending.size > 0) await Promise.all([...pending]);
      throwIfFatal();
      return takeResults();
    },
    async close(outcome): Promise<DestinationSummary> {
      if (outcome === 'failed' || pending.size > 0) {
        stop.abort(new RunError('run stopped'));
        await Promise.allSettled([...pending]);
      }
      await pool?.close().catch(() => {});
      return { type: 'webhook', target, delivered, failed };
    },
  };
  return self;
}

/** `: <start of the body>` on one line, or nothing. */
async function bodyStart(body: AsyncIterable<Buffer> & { destroy(): void }): Promise<string> {
  let text = '';
  try {
    for await (const chunk of body) {
      text += chunk.toString('utf8');
      if (text.length > ERROR_BODY_CHARS) break;
    }
  } catch {
    /* the status says enough */
  }
  body.destroy();
  text = text.replace(/\s+/g, ' ').trim();
  return text ? `: ${text.length > ERROR_BODY_CHARS ? `${text.slice(0, ERROR_BODY_CHARS)}…` : text}` : '';
}
