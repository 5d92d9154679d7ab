// Lost-connection scenarios through the real CLI: a warehouse table of N people on a real
// server (MariaDB, PostgreSQL, or Hive: the HiveServer2 test server in front of MariaDB, spoken
// to by the unmodified hive-driver), reached through the cutting TCP proxy (a separate process), a CSV job, and the checks
// every cut must pass: exit 1 within seconds with one line "lost the connection to wh after N
// rows", no temporary file, the previous CSV untouched, the run failed in the ledger, and the
// lock released (the next run, straight to the server, runs at once without --wait).
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'vitest';
import { type CliResult, runCli } from './cli.ts';
import { createTestDatabase, MYSQL, POSTGRES, type TestDatabase } from './databases.ts';
import { spawnCli, until } from './delivery-fixture.ts';
import { startHiveTestServer, type HiveTestServer } from './hive-server/index.ts';
import { startTcpProxy, type CutMode, type TcpProxy } from './tcp-proxy/index.ts';

export type ServerDialect = 'mysql' | 'postgres' | 'hive';
// Hive pages of 1,000 rows: several pages pass the proxy before the cut.
const HIVE_FETCH_SIZE = 1000;
const PREVIOUS = 'the previous file\r\n';

export interface CutWorkspace {
  dialect: ServerDialect;
  dir: string;
  db: TestDatabase;
  /** Hive only: the HiveServer2 test server, on `db`. */
  hive?: HiveTestServer;
  people: number;
  close(): Promise<void>;
}

/** A database with `people` rows generated on the server, and a folder with a CSV job. */
export async function cutWorkspace(
  dialect: ServerDialect,
  name: string,
  people: number,
  /** Hive only: each query reports RUNNING this long first (the status polls of a long query). */
  hiveQueryDelayMs?: number,
): Promise<CutWorkspace> {
  const db = await createTestDatabase(dialect === 'hive' ? 'mysql' : dialect, name);
  await db.knex.raw(
    db.dialect === 'mysql'
      ? `create table people as select seq as user_id, concat('person ', seq) as name, concat('138', lpad(seq, 8, '0')) as phone from seq_1_to_${people}`
      : `create table people as select g as user_id, 'person ' || g as name, '138' || lpad(g::text, 8, '0') as phone from generate_series(1, ${people}) g`,
  );
  const dir = mkdtempSync(join(tmpdir(), `crm-leads-${name}-`));
  writeFileSync(
    join(dir, 'cut.yaml'),
    `name: cut
source: wh
audience: { table: people, key: user_id }
lead: { fields: [user_id, name, phone] }
destinations: [ { type: csv, path: out/cut.csv } ]
`,
  );
  const hive =
    dialect === 'hive'
      ? await startHiveTestServer({ database: databaseOf(db), queryDelayMs: hiveQueryDelayMs })
      : undefined;
  const ws: CutWorkspace = { dialect, dir, db, hive, people, close: async () => {} };
  // The run after a failure, which shows the lock was released, goes straight to the server; a
  // Hive server that delays its queries is skipped for MariaDB behind it (the same table).
  writeFileSync(join(dir, 'direct.yaml'), `wh: ${hive && !hiveQueryDelayMs ? hiveYaml(ws, hive.port) : db.yaml}\n`);
  return {
    ...ws,
    close: async () => {
      await hive?.close();
      await db.drop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

const databaseOf = (db: TestDatabase) => (db.connection as { database: string }).database;

function hiveYaml(ws: CutWorkspace, port: number, readTimeout?: string): string {
  return `{ type: hive, host: 127.0.0.1, port: ${port}, database: ${databaseOf(ws.db)}, connect_timeout: 10s, fetch_size: ${HIVE_FETCH_SIZE}${readTimeout ? `, read_timeout: ${readTimeout}` : ''} }`;
}

function proxiedConnections(ws: CutWorkspace, proxy: TcpProxy, readTimeout?: string): string {
  const file = join(ws.dir, 'proxied.yaml');
  if (ws.hive) {
    writeFileSync(file, `wh: ${hiveYaml(ws, proxy.port, readTimeout)}\n`);
    return file;
  }
  const server = ws.db.dialect === 'mysql' ? MYSQL : POSTGRES;
  writeFileSync(
    file,
    `wh: { type: ${ws.db.dialect}, host: "${server.host}", port: ${proxy.port}, user: "${server.user}", password: "${server.password}", database: ${databaseOf(ws.db)}${readTimeout ? `, read_timeout: ${readTimeout}` : ''} }\n`,
  );
  return file;
}

// The server the proxy stands in front of: the HiveServer2 test server for Hive.
const serverOf = (ws: CutWorkspace) =>
  ws.hive ? { host: '127.0.0.1', port: ws.hive.port } : ws.db.dialect === 'mysql' ? MYSQL : POSTGRES;

async function expectCleanAfterFailure(ws: CutWorkspace, status: 'failed' | 'interrupted'): Promise<void> {
  expect(readFileSync(join(ws.dir, 'out', 'cut.csv'), 'utf8')).toBe(PREVIOUS);
  expect(readdirSync(join(ws.dir, 'out'))).toEqual(['cut.csv']);
  const runs = JSON.parse((await runCli(['runs', '--job', 'cut', '--json'], { cwd: ws.dir })).stdout) as {
    status: string;
    error?: string;
  }[];
  expect(runs[0].status).toBe(status);
  // The lock was released: a run straight to the server starts at once and delivers everyone.
  const next = await runCli(['run', 'cut.yaml', '--connections', 'direct.yaml'], { cwd: ws.dir, timeoutMs: 300_000 });
  expect(next.code, next.stderr).toBe(0);
  expect(next.summary).toMatchObject({ status: 'ok', leads: ws.people });
  writeFileSync(join(ws.dir, 'out', 'cut.csv'), PREVIOUS);
}

/**
 * The server's result is cut (`mode`) after `afterBytes`; the run must fail cleanly within
 * `withinSeconds` of its start. `readTimeout` is the connection's read_timeout (for stalls).
 */
export async function expectCleanCut(
  ws: CutWorkspace,
  mode: Exclude<CutMode, 'none'>,
  afterBytes: number,
  withinSeconds: number,
  readTimeout?: string,
): Promise<CliResult> {
  const server = serverOf(ws);
  const proxy = await startTcpProxy(server.host, server.port, mode, afterBytes);
  try {
    const connections = proxiedConnections(ws, proxy, readTimeout);
    mkdirSync(join(ws.dir, 'out'), { recursive: true });
    writeFileSync(join(ws.dir, 'out', 'cut.csv'), PREVIOUS);
    const r = await runCli(['run', 'cut.yaml', '--connections', connections], { cwd: ws.dir, timeoutMs: 300_000 });
    expect(r.code, r.stderr).toBe(1);
    const errors = r.stderr.split('\n').filter((l) => l.startsWith('error:'));
    expect(errors, r.stderr).toHaveLength(1);
    expect(errors[0]).toMatch(/^error: lost the connection to wh after \d+ rows \(.+\)$/);
    const rows = Number(/after (\d+) rows/.exec(errors[0])![1]);
    expect(rows).toBeLessThan(ws.people);
    expect(proxy.cuts.length).toBeGreaterThan(0);
    expect(r.stderr).not.toMatch(/^\s+at /m);
    expect(r.summary).toMatchObject({ job: 'cut', status: 'failed', exit: 1 });
    expect(Number(r.summary!.seconds)).toBeLessThan(withinSeconds);
    await expectCleanAfterFailure(ws, 'failed');
    return r;
  } finally {
    await proxy.close();
  }
}

/** The server goes silent mid-result (default read_timeout): SIGTERM ends the run within `graceSeconds`. */
export async function expectSigtermEndsStalledRun(
  ws: CutWorkspace,
  afterBytes: number,
  graceSeconds: number,
  signal: 'SIGTERM' | 'SIGINT' = 'SIGTERM',
): Promise<void> {
  const server = serverOf(ws);
  const proxy = await startTcpProxy(server.host, server.port, 'stall', afterBytes);
  try {
    const connections = proxiedConnections(ws, proxy);
    writeFileSync(join(ws.dir, 'out', 'cut.csv'), PREVIOUS);
    const run = spawnCli(['run', 'cut.yaml', '--connections', connections], { cwd: ws.dir });
    await until(() => proxy.cuts.length > 0, 120_000, 'the proxy stalled the result');
    // The run holds a partial temporary file while it waits on the silent server.
    await until(() => readdirSync(join(ws.dir, 'out')).some((f) => f.endsWith('.tmp')), 30_000, 'a temp file');
    const sent = Date.now();
    run.child.kill(signal);
    const r = await run.done;
    expect((Date.now() - sent) / 1000).toBeLessThan(graceSeconds);
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).not.toMatch(/^\s+at /m);
    await expectCleanAfterFailure(ws, 'interrupted');
  } finally {
    await proxy.close();
  }
}
