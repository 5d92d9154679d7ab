// The named parts the webhook and table destinations are built from, each alone against a real
// receiver or database: the webhook sender with its retry policy (a local HTTP receiver) and
// the table columns check and table writer (a real SQLite file).
import { Pool } from 'undici';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DestinationStoppedError, type Lead } from '../../src/destinations/destination.ts';
import { rateLimiter } from '../../src/destinations/rate-limiter.ts';
import { DEFAULT_BACKOFF } from '../../src/destinations/retry-policy.ts';
import { tableColumns } from '../../src/destinations/table-columns.ts';
import { tableWriter } from '../../src/destinations/table-writer.ts';
import { webhookHeaders, webhookSender } from '../../src/destinations/webhook-sender.ts';
import { createTestDatabase, type TestDatabase } from '../support/databases.ts';
import { startReceiver, type Receiver } from '../support/http-receiver.ts';

describe('webhook sender', () => {
  let receiver: Receiver;
  let pool: Pool;
  beforeAll(async () => {
    receiver = await startReceiver();
    pool = new Pool(new URL(receiver.url).origin);
  });
  afterAll(async () => {
    await pool?.close();
    await receiver?.close();
  });
  beforeEach(() => receiver.reset());

  const sender = (over: { maxRetries?: number; signal?: AbortSignal; secret?: string } = {}) =>
    webhookSender({
      dispatcher: pool,
      path: '/leads?token=t',
      headers: webhookHeaders({ headers: { 'Content-Type': 'text/plain', 'X-Team': 'east' } }, new URL(receiver.url)),
      secret: over.secret,
      timeoutSeconds: 5,
      maxRetries: over.maxRetries ?? 2,
      backoff: { ...DEFAULT_BACKOFF, baseMs: 5, capMs: 20 },
      limiter: rateLimiter(undefined),
      signal: over.signal ?? new AbortController().signal,
    });
  const body = Buffer.from('{"leads":[]}');

  it('posts the body with the headers and the key; a 2xx is delivered', async () => {
    expect(await sender({ secret: 's' }).send(body, 'key-1')).toEqual({ ok: true });
    const [q] = receiver.requests;
    expect(q).toMatchObject({ method: 'POST', path: '/leads?token=t', body: '{"leads":[]}' });
    expect(q.headers).toMatchObject({
      'content-type': 'application/json',
      'x-team': 'east',
      'idempotency-key': 'key-1',
      'user-agent': 'crm-leads',
    });
    expect(q.headers['x-crm-leads-signature']).toMatch(/^v1=[0-9a-f]{64}$/);
  });

  it('retries transient failures up to maxRetries, then fails as transient with the attempts counted', async () => {
    receiver.script = () => ({ status: 503, body: 'down for maintenance' });
    expect(await sender({ maxRetries: 2 }).send(body, 'k')).toEqual({
      ok: false,
      transient: true,
      error: 'HTTP 503: down for maintenance (gave up after 3 attempts)',
    });
    expect(receiver.requests).toHaveLength(3);
  });

  it('does not retry an answer (4xx): not transient', async () => {
    receiver.queue({ status: 400, body: 'bad\n  request' });
    expect(await sender().send(body, 'k')).toEqual({ ok: false, transient: false, error: 'HTTP 400: bad request' });
    expect(receiver.requests).toHaveLength(1);
  });

  it('rejects at once when its signal aborts mid-request', async () => {
    receiver.queue({ hang: true });
    const stop = new AbortController();
    const sending = sender({ signal: stop.signal }).send(body, 'k');
    setTimeout(() => stop.abort(new Error('run stopped')), 50);
    await expect(sending).rejects.toThrow('run stopped');
  });

  it('puts credentials from the URL into Basic auth', () => {
    const headers = webhookHeaders({ headers: {} }, new URL('https://a%40b:p%3Ass@example.com/x'));
    expect(headers.authorization).toBe(`Basic ${Buffer.from('a@b:p:ss').toString('base64')}`);
  });
});

describe('table columns and table writer on SQLite', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase('sqlite', 'destination_parts');
    await db.knex.schema.createTable('crm', (t) => {
      t.bigInteger('USER_ID').notNullable().unique();
      t.string('name');
      for (const c of ['job', 'run_id', 'channel', 'delivered_at']) t.string(c);
    });
  });
  afterAll(async () => db?.drop());

  const spec = { table: 'crm', connection: 'crm', mode: 'insert' as const };
  const lead = (key: number, name: string): Lead => ({ key: String(key), values: [String(key), name] });

  it('finds the real column names case-insensitively, the key among the fields', async () => {
    const found = await tableColumns(db.knex, 'sqlite', spec, { fields: ['user_id', 'name'], keyName: 'user_id' });
    expect(found).toEqual({
      columns: ['USER_ID', 'name', 'job', 'run_id', 'channel', 'delivered_at'],
      keyColumn: 'USER_ID',
      keyIndex: 0,
    });
    await expect(tableColumns(db.knex, 'sqlite', spec, { fields: ['phone'], keyName: 'user_id' })).rejects.toThrow(
      'table crm.crm: missing column phone (the table needs the lead fields, the person key user_id, and job, run_id, channel, delivered_at); nothing was written',
    );
  });

  it('commits a batch in one transaction; a refused lead fails alone, the rest are written', async () => {
    const columns = await tableColumns(db.knex, 'sqlite', spec, { fields: ['user_id', 'name'], keyName: 'user_id' });
    const writer = tableWriter({ knex: db.knex, dialect: 'sqlite', spec, ctx: { job: 'j', runId: 'r1' }, ...columns });
    const first = await writer.commit([lead(1, '张三'), lead(2, "O'Brien")]);
    expect(first.delivered.map((l) => l.key)).toEqual(['1', '2']);
    const second = await writer.commit([lead(3, 'ok'), lead(1, 'duplicate'), lead(4, 'ok too')]);
    expect(second.delivered.map((l) => l.key)).toEqual(['3', '4']);
    expect(second.failed.map((f) => f.lead.key)).toEqual(['1']);
    expect(second.failed[0].error).toMatch(/UNIQUE constraint failed: crm.USER_ID \(SQLITE_CONSTRAINT_UNIQUE\)/);
    const rows = await db.knex('crm').select('USER_ID', 'name', 'job', 'run_id', 'channel').orderBy('USER_ID');
    expect(rows).toEqual([
      { USER_ID: 1, name: '张三', job: 'j', run_id: 'r1', channel: null },
      { USER_ID: 2, name: "O'Brien", job: 'j', run_id: 'r1', channel: null },
      { USER_ID: 3, name: 'ok', job: 'j', run_id: 'r1', channel: null },
      { USER_ID: 4, name: 'ok too', job: 'j', run_id: 'r1', channel: null },
    ]);
  });

  it('stops with what it committed when the table goes away mid-batch', async () => {
    await db.knex.schema.createTable('doomed', (t) => {
      t.bigInteger('user_id').unique();
      for (const c of ['job', 'run_id', 'channel', 'delivered_at']) t.string(c);
    });
    const doomed = { ...spec, table: 'doomed' };
    const columns = await tableColumns(db.knex, 'sqlite', doomed, { fields: ['user_id'], keyName: 'user_id' });
    const writer = tableWriter({
      knex: db.knex,
      dialect: 'sqlite',
      spec: doomed,
      ctx: { job: 'j', runId: 'r' },
      ...columns,
    });
    await db.knex.schema.dropTable('doomed');
    const error = await writer.commit([{ key: '1', values: ['1'] }]).catch((e) => e);
    expect(error).not.toBeInstanceOf(DestinationStoppedError);
    expect(error.message).toMatch(/^table crm\.doomed: .*no such table: doomed/);
  });
});
