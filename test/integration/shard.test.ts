// --shard I/N partitions the leads exactly: on each dialect, the shards 0..N-1 of a job are
// pairwise disjoint and their union is the unsharded lead set. Integer keys (including one past
// 2^53) and text keys, since each hashes the key's text in SQL.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.ts';
import { createTestDatabase, DIALECTS, loadFixture, type TestDatabase } from '../support/databases.ts';

const SHARDS = 3;
const PEOPLE = 240;

const numericRows = Array.from({ length: PEOPLE }, (_, i) => ({
  user_id: i === 0 ? '9007199254740993' : String(1000 + i * 7919),
  age: 18 + (i % 50),
}));
const textRows = Array.from({ length: PEOPLE }, (_, i) => ({
  member_id: `m-${i.toString(36)}-${(i * 31) % 97}`,
  age: 18 + (i % 50),
}));

const job = (name: string, table: string, key: string) =>
  `name: ${name}\nsource: wh\naudience: { table: ${table}, key: ${key}, where: { age: { gte: 30 } } }\nlead: { fields: [${key}, age] }\n` +
  `destinations: [ { type: csv, path: "out/{{job}}/{{run_id}}.csv", bom: false } ]\n`;

describe.each(DIALECTS)('--shard on %s', (dialect) => {
  let db: TestDatabase;
  const dir = mkdtempSync(join(tmpdir(), 'crm-leads-shard-'));
  beforeAll(async () => {
    db = await createTestDatabase(dialect, 'shard');
    await loadFixture(db, [
      { name: 'people', columns: { user_id: 'bigInteger', age: 'integer' }, rows: numericRows },
      { name: 'members', columns: { member_id: 'string', age: 'integer' }, rows: textRows },
    ]);
    writeFileSync(join(dir, 'connections.yaml'), `wh: ${db.yaml}\n`);
    writeFileSync(join(dir, 'numeric.yaml'), job('numeric', 'people', 'user_id'));
    writeFileSync(join(dir, 'text.yaml'), job('text', 'members', 'member_id'));
  });
  afterAll(async () => db?.drop());

  /** Runs both jobs (optionally one shard) and returns each job's lead keys. */
  async function leadKeys(shard?: string): Promise<Record<string, string[]>> {
    const state = join(dir, `state-${shard?.replace('/', '-') ?? 'all'}.db`);
    const r = await runCli(
      [
        'run',
        'numeric.yaml',
        'text.yaml',
        '--at',
        '2026-11-23T00:00:00',
        '--state',
        state,
        ...(shard ? ['--shard', shard] : []),
      ],
      { cwd: dir },
    );
    expect(r.stderr).not.toMatch(/error/);
    expect(r.code).toBe(0);
    const keys: Record<string, string[]> = {};
    for (const line of r.stdout.trim().split('\n')) {
      const summary = JSON.parse(line) as { job: string; outputs: { target: string }[] };
      const csv = readFileSync(summary.outputs[0].target, 'utf8').trim().split('\r\n').slice(1);
      keys[summary.job] = csv.map((row) => row.split(',')[0]);
    }
    return keys;
  }

  it(`shards 0..${SHARDS - 1} are disjoint and together are exactly the unsharded leads`, async () => {
    const whole = await leadKeys();
    const expected = {
      numeric: numericRows.filter((r) => r.age >= 30).map((r) => r.user_id),
      text: textRows.filter((r) => r.age >= 30).map((r) => r.member_id),
    };
    expect(sorted(whole.numeric)).toEqual(sorted(expected.numeric));
    expect(sorted(whole.text)).toEqual(sorted(expected.text));
    const shards: Record<string, string[]>[] = [];
    for (let i = 0; i < SHARDS; i++) shards.push(await leadKeys(`${i}/${SHARDS}`));
    for (const name of ['numeric', 'text']) {
      const parts = shards.map((s) => s[name]);
      // Every shard gets a share (the hash spreads the keys), none holds everyone.
      for (const part of parts) {
        expect(part.length).toBeGreaterThan(0);
        expect(part.length).toBeLessThan(whole[name].length);
      }
      const all = parts.flat();
      expect(new Set(all).size).toBe(all.length); // pairwise disjoint (and no duplicate within one)
      expect(sorted(all)).toEqual(sorted(whole[name])); // the union is the whole
    }
  });
});

const sorted = (keys: string[]) => [...keys].sort();
