// Issue 9.4: lead fields named like the webhook envelope (key, job, run_id, channel, batch,
// leads) reach a real HTTP receiver intact, the person key keeps its column's JSON type (a
// number stays a number), and a field named `key` from another column is refused by validate
// at its line:col (it would collide with the person key) instead of being dropped silently.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.ts';
import { createTestDatabase, DIALECTS, loadFixture, type TestDatabase } from '../support/databases.ts';
import { startReceiver, type Receiver } from '../support/http-receiver.ts';

const ROWS = [
  { user_id: 1, member: 'M-001', title: 'engineer', city: '北京', phone: '13800000001', coupon: 'C1', score: 3 },
  { user_id: 2, member: '0002', title: 'nurse', city: '上海', phone: '13800000002', coupon: null, score: 0 },
];

// Every envelope name as a lead field; `key` is the key's own column (the same value).
const FIELDS =
  '{ key: user_id, user_id: user_id, job: title, run_id: city, channel: phone, batch: coupon, leads: score }';

const jobFile = (name: string, key: string, fields: string, url: string) =>
  `name: ${name}\nsource: wh\ntimezone: Asia/Shanghai\naudience: { table: people, key: ${key} }\n` +
  `lead:\n  fields: ${fields}\n` +
  `destinations: [ { type: webhook, url: "${url}", max_retries: 0 } ]\n`;

const byKey = (leads: { key: unknown }[]) => [...leads].sort((a, b) => String(a.key).localeCompare(String(b.key)));

let receiver: Receiver;
beforeAll(async () => (receiver = await startReceiver()));
afterAll(async () => receiver.close());

describe.each(DIALECTS)('webhook envelope on %s', (dialect) => {
  let db: TestDatabase;
  const dir = mkdtempSync(join(tmpdir(), 'crm-leads-envelope-'));
  beforeAll(async () => {
    db = await createTestDatabase(dialect, 'webhook_envelope');
    await loadFixture(db, [
      {
        name: 'people',
        columns: {
          user_id: 'integer',
          member: 'string',
          title: 'string',
          city: 'string',
          phone: 'string',
          coupon: 'string',
          score: 'integer',
        },
        rows: ROWS,
      },
    ]);
    writeFileSync(join(dir, 'connections.yaml'), `wh: ${db.yaml}\n`);
  }, 60_000);
  afterAll(async () => db?.drop());

  const run = (file: string) =>
    runCli(['run', file, '--at', '2026-11-23T09:00:00', '--state', join(dir, `${file}.state.db`)], { cwd: dir });

  it('keeps every field named like the envelope; an integer key is a JSON number', async () => {
    receiver.reset();
    writeFileSync(join(dir, 'envelope.yaml'), jobFile('envelope', 'user_id', FIELDS, `${receiver.url}/${dialect}`));
    const r = await run('envelope.yaml');
    expect(r.stderr).not.toMatch(/error|warning/i);
    expect(r.code).toBe(0);
    expect(receiver.requests).toHaveLength(1);
    const body = JSON.parse(receiver.requests[0].body);
    expect(body).toMatchObject({ job: 'envelope', batch: 1, channel: null });
    expect(body.run_id).toMatch(/^20261123090000-[0-9a-f]{8}$/); // the run id, not the run_id field
    expect(byKey(body.leads)).toEqual([
      { key: 1, user_id: 1, job: 'engineer', run_id: '北京', channel: '13800000001', batch: 'C1', leads: 3 },
      { key: 2, user_id: 2, job: 'nurse', run_id: '上海', channel: '13800000002', batch: null, leads: 0 },
    ]);
  });

  it('a text key stays text, leading zeros and all', async () => {
    receiver.reset();
    const fields = '[member, score]';
    writeFileSync(join(dir, 'text-key.yaml'), jobFile('text-key', 'member', fields, `${receiver.url}/${dialect}`));
    const r = await run('text-key.yaml');
    expect(r.code).toBe(0);
    expect(byKey(JSON.parse(receiver.requests[0].body).leads)).toEqual([
      { key: '0002', member: '0002', score: 0 },
      { key: 'M-001', member: 'M-001', score: 3 },
    ]);
  });
});

describe('a field named key from another column', () => {
  it('is refused by validate at its line:col, naming the collision; nothing is sent', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'crm-leads-envelope-'));
    writeFileSync(join(dir, 'connections.yaml'), 'wh: { type: sqlite, path: ":memory:" }\n');
    const text = jobFile('collide', 'user_id', '{ user_id: user_id, key: coupon }', 'http://127.0.0.1:9/hook');
    writeFileSync(join(dir, 'collide.yaml'), text);
    const r = await runCli(['validate', 'collide.yaml'], { cwd: dir });
    expect(r.code).toBe(2);
    // line 6 is `  fields: { user_id: user_id, key: coupon }`; the key `key` starts at column 31.
    expect(r.stderr).toContain(
      `${join(dir, 'collide.yaml')}:6:31: lead.fields.key: a field named "key" (column coupon) would collide with the person key (user_id) that the webhook destination (destinations[0]) sends as "key" in each lead; rename the field, e.g. lead.fields: { coupon: coupon }`,
    );
    expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
  });
});
