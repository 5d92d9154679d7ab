// `crm-leads connections check [NAME…]` against real servers: version and latency for each
// connection that works, a one-line cause for each that does not, exit 1 if any fails.
import { once } from 'node:events';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.ts';
import { createTestDatabase, POSTGRES, type TestDatabase } from '../support/databases.ts';

/** A loopback port with nothing listening on it. */
async function closedPort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  server.close();
  await once(server, 'close');
  return port;
}

describe('connections check', () => {
  const dbs: TestDatabase[] = [];
  const dir = mkdtempSync(join(tmpdir(), 'crm-leads-connections-'));
  beforeAll(async () => {
    for (const dialect of ['sqlite', 'mysql', 'postgres'] as const) {
      const db = await createTestDatabase(dialect, 'connections_check');
      if (dialect === 'sqlite') await db.knex.raw('create table t (x integer)'); // the file exists once written to
      dbs.push(db);
    }
    const [lite, my, pg] = dbs;
    writeFileSync(
      join(dir, 'connections.yaml'),
      [
        `lite: ${lite.yaml}`,
        `my: ${my.yaml}`,
        `pg: ${pg.yaml}`,
        `pg_down: { type: postgres, host: "${POSTGRES.host}", port: ${await closedPort()}, user: postgres, database: postgres }`,
        `lite_missing: { type: sqlite, path: no-such-file.db }`,
        '',
      ].join('\n'),
    );
  });
  afterAll(async () => {
    for (const db of dbs) await db.drop();
  });

  it('checks every connection: versions and latencies for the good ones, causes for the bad ones, exit 1', async () => {
    const r = await runCli(['connections', 'check'], { cwd: dir });
    expect(r.code).toBe(1);
    const byName = Object.fromEntries(
      (r.summary!.connections as { name: string; latency_ms: number }[]).map((c) => [c.name, c]),
    );
    expect(Object.keys(byName)).toEqual(['lite', 'my', 'pg', 'pg_down', 'lite_missing']);
    expect(byName.lite).toMatchObject({ ok: true, type: 'sqlite', version: expect.stringMatching(/^SQLite 3\.\d+/) });
    expect(byName.my).toMatchObject({
      ok: true,
      type: 'mysql',
      version: expect.stringMatching(/^(MariaDB|MySQL) \d+\.\d+/),
    });
    expect(byName.pg).toMatchObject({ ok: true, type: 'postgres', version: expect.stringMatching(/^PostgreSQL \d+/) });
    for (const name of ['lite', 'my', 'pg']) {
      expect(byName[name].latency_ms).toBeGreaterThanOrEqual(0);
      expect(byName[name].latency_ms).toBeLessThan(5_000);
      expect(r.stderr).toMatch(new RegExp(`^ok\\s+${name} \\(\\w+\\): .+, [\\d.]+ ms \\(connect [\\d.]+ ms\\)$`, 'm'));
    }
    expect(byName.pg_down).toMatchObject({ ok: false, error: expect.stringMatching(/ECONNREFUSED/) });
    expect(byName.lite_missing).toMatchObject({
      ok: false,
      error: expect.stringMatching(/no-such-file\.db does not exist/),
    });
    expect(r.stderr).toMatch(/^FAIL\s+pg_down \(postgres\): .*ECONNREFUSED/m);
    expect(r.summary!.ok).toBe(false);
  });

  it('checks only the named connections; exit 0 when they all work', async () => {
    const r = await runCli(['connections', 'check', 'pg', 'lite'], { cwd: dir });
    expect(r.code).toBe(0);
    expect(r.summary).toMatchObject({
      ok: true,
      connections: [
        { name: 'pg', ok: true },
        { name: 'lite', ok: true },
      ],
    });
    expect(r.stderr).not.toMatch(/pg_down|lite_missing|\bmy\b/);
  });

  it('an unknown name or a broken connections file is invalid input: exit 2, nothing connects', async () => {
    const unknown = await runCli(['connections', 'check', 'pgg'], { cwd: dir });
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/no connection named "pgg" \(did you mean "pg"\?\)/);
    expect(unknown.stdout).toBe('');
    const broken = mkdtempSync(join(tmpdir(), 'crm-leads-connections-broken-'));
    writeFileSync(join(broken, 'connections.yaml'), 'wh: { type: postgress, host: localhost }\n');
    const invalid = await runCli(['connections', 'check'], { cwd: broken });
    expect(invalid.code).toBe(2);
    expect(invalid.stderr).toMatch(/connections\.yaml:1:\d+: wh.*unknown connection type/);
  });
});
