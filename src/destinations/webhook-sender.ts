// The webhook sender: POSTs one batch's body and retries it by the retry policy until the
// receiver acknowledges it (2xx), answers for good (a 4xx other than 408/429), or the retries
// run out. Every attempt is signed afresh and carries the batch's Idempotency-Key; request
// starts (retries included) go through the shared rate limiter.
import { setTimeout as sleep } from 'node:timers/promises';
import { setLongTimeout } from '../long-timers.ts';
import type { Dispatcher } from 'undici';
import type { WebhookDestinationSpec } from '../config/job-schema.ts';
import type { RateLimiter } from './rate-limiter.ts';
import { backoffMs, isRetryableStatus, parseRetryAfter, type BackoffOptions } from './retry-policy.ts';
import { SIGNATURE_HEADER, signBody, TIMESTAMP_HEADER } from './webhook-signing.ts';
import { count } from '../plural.ts';
import { decodeUrlPart } from '../url-login.ts';

/** How a batch ended: acknowledged, or failed for good; `transient` when the receiver never answered (5xx, network, timeout). */
export type SendOutcome = { ok: true } | { ok: false; transient: boolean; error: string };

export interface WebhookSenderOptions {
  /** undici Pool (or any Dispatcher) for the receiver's origin. */
  dispatcher: Dispatcher;
  /** Path and query of the receiver's URL. */
  path: string;
  /** Headers sent with every attempt (see webhookHeaders). */
  headers: Record<string, string>;
  /** HMAC signing secret (webhook-signing.ts); unsigned without it. */
  secret?: string;
  /** Per-attempt limit for the whole response, seconds. */
  timeoutSeconds: number;
  /** Retries after the first attempt (max_retries). */
  maxRetries: number;
  backoff: BackoffOptions;
  limiter: RateLimiter;
  /** Aborting it stops every attempt and wait at once; send() then rejects with the reason. */
  signal: AbortSignal;
}

export interface WebhookSender {
  /** Delivers one batch; rejects only when the signal aborts. */
  send(body: Buffer, idempotencyKey: string): Promise<SendOutcome>;
}

type Attempt = { ok: true } | { ok: false; retry: boolean; error: string; retryAfterMs?: number };

const ERROR_BODY_CHARS = 200;
const USER_AGENT = 'crm-leads';

/**
 * The headers of every request: the job's own (names lower-cased, so that a job's Content-Type
 * cannot be sent twice), JSON content type, and Basic auth from credentials in the URL.
 */
export function webhookHeaders(spec: Pick<WebhookDestinationSpec, 'headers'>, url: URL): Record<string, string> {
  const jobHeaders = Object.fromEntries(
    Object.entries(spec.headers).map(([name, value]) => [name.toLowerCase(), value]),
  );
  const headers: Record<string, string> = {
    'user-agent': USER_AGENT,
    ...jobHeaders,
    'content-type': 'application/json',
  };
  if (url.username) {
    const credentials = `${decodeUrlPart(url.username)}:${decodeUrlPart(url.password)}`;
    headers.authorization = `Basic ${Buffer.from(credentials).toString('base64')}`;
  }
  return headers;
}

export function webhookSender(o: WebhookSenderOptions): WebhookSender {
  async function attempt(body: Buffer, key: string): Promise<Attempt> {
    const headers: Record<string, string> = { ...o.headers, 'idempotency-key': key };
    if (o.secret) {
      const timestamp = Math.floor(Date.now() / 1000);
      headers[TIMESTAMP_HEADER] = String(timestamp);
      headers[SIGNATURE_HEADER] = signBody(o.secret, timestamp, body);
    }
    const attemptStop = stopWith(o.signal, o.timeoutSeconds * 1000);
    try {
      const response = await o.dispatcher.request({
        path: o.path,
        method: 'POST',
        headers,
        body,
        signal: attemptStop.signal,
      });
      if (response.statusCode >= 200 && response.statusCode < 300) {
        await response.body.dump();
        return { ok: true };
      }
      return {
        ok: false,
        retry: isRetryableStatus(response.statusCode),
        error: `HTTP ${response.statusCode}${await bodyStart(response.body)}`,
        retryAfterMs: parseRetryAfter(response.headers['retry-after']),
      };
    } catch (err) {
      if (o.signal.aborted) throw err;
      if (attemptStop.timedOut) return { ok: false, retry: true, error: `no response within ${o.timeoutSeconds}s` };
      const e = err as { code?: string; message?: string };
      return {
        ok: false,
        retry: true,
        error: `network error: ${e.message ?? String(err)}${e.code ? ` (${e.code})` : ''}`,
      };
    } finally {
      attemptStop.done();
    }
  }

  return {
    async send(body, key) {
      for (let tries = 1; ; tries++) {
        await o.limiter.take(o.signal);
        const outcome = await attempt(body, key);
        if (outcome.ok) return outcome;
        if (!outcome.retry || tries > o.maxRetries) {
          const error = outcome.retry ? `${outcome.error} (gave up after ${count(tries, 'attempt')})` : outcome.error;
          return { ok: false, transient: outcome.retry, error };
        }
        const waitMs =
          outcome.retryAfterMs !== undefined
            ? Math.min(outcome.retryAfterMs, o.backoff.maxRetryAfterMs)
            : backoffMs(tries, o.backoff);
        await sleep(waitMs, undefined, { signal: o.signal });
      }
    },
  };
}

/**
 * One attempt's signal: aborted by `parent` (the run stopping) or after `ms` (the attempt's
 * timeout), whichever comes first; done() drops the timer and the listener. One controller per
 * attempt instead of AbortSignal.any([parent, AbortSignal.timeout(ms)]), whose dependent-signal
 * bookkeeping (weak references kept per parent) cost measurable CPU and GC at ~2,000 requests.
 */
function stopWith(parent: AbortSignal, ms: number): { signal: AbortSignal; readonly timedOut: boolean; done(): void } {
  const controller = new AbortController();
  let timedOut = false;
  const onParent = () => controller.abort(parent.reason);
  if (parent.aborted) onParent();
  else parent.addEventListener('abort', onParent, { once: true });
  const timer = setLongTimeout(
    () => {
      timedOut = true;
      controller.abort(new DOMException(`no response within ${ms} ms`, 'TimeoutError'));
    },
    ms,
    { unref: true },
  );
  return {
    signal: controller.signal,
    get timedOut() {
      return timedOut;
    },
    done() {
      timer.clear();
      parent.removeEventListener('abort', onParent);
    },
  };
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
