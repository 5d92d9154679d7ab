// A warehouse connection lost mid-result, through a real TCP proxy process in front of the real
// MariaDB and PostgreSQL servers and of the HiveServer2 test server (Thrift, to the unmodified
// hive-driver; MariaDB behind it): closed (FIN), reset (RST), or silent (the proxy stops
// forwarding; read_timeout). And SIGTERM / SIGINT while the server is silent. Every case: exit
// 1 within seconds, one line, no temporary file, the previous CSV untouched, the run failed (or
// interrupted) in the ledger, the lock released. The half-million-row version (cut after 8 MB)
// is test/soak/lost-connection.soak.ts.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  cutWorkspace,
  expectCleanCut,
  expectSigtermEndsStalledRun,
  type CutWorkspace,
  type ServerDialect,
} from '../support/lost-connection.ts';

const PEOPLE = 40_000; // about 1.3 MB on the wire: the cut at 256 KB comes mid-result
const CUT_AT = 256 * 1024;

describe.each<ServerDialect>(['mysql', 'postgres', 'hive'])('a connection to %s lost mid-result', (dialect) => {
  let ws: CutWorkspace;
  beforeAll(async () => {
    ws = await cutWorkspace(dialect, 'lost_connection', PEOPLE);
  });
  afterAll(async () => ws?.close());

  it('closed by the server (FIN): exit 1 in seconds, one line, nothing left behind', async () => {
    await expectCleanCut(ws, 'fin', CUT_AT, 20);
  }, 180_000);

  it('reset (RST): the same', async () => {
    await expectCleanCut(ws, 'rst', CUT_AT, 20);
  }, 180_000);

  it('silent without closing: read_timeout ends it, the same clean failure', async () => {
    await expectCleanCut(ws, 'stall', CUT_AT, 25, '2s');
  }, 180_000);

  it('silent, default read_timeout: the first SIGTERM ends the run at once, nothing left behind', async () => {
    await expectSigtermEndsStalledRun(ws, CUT_AT, 10, 'SIGTERM');
  }, 180_000);

  it('silent, default read_timeout: the first SIGINT (Ctrl-C) does too', async () => {
    await expectSigtermEndsStalledRun(ws, CUT_AT, 10, 'SIGINT');
  }, 180_000);
});

// A Hive query runs for minutes before its first row; the client polls its status, and
// HiveServer2 holds each status call up to 5 s: a status call counts as silent only after
// max(read_timeout, 10 s), so a short read_timeout does not fail a query that is merely running.
describe('a connection to hive lost while its query runs', () => {
  let ws: CutWorkspace;
  beforeAll(async () => {
    ws = await cutWorkspace('hive', 'lost_connection_running', 1000, 600_000);
  });
  afterAll(async () => ws?.close());

  it('silent during the status polls: lost after at least 10 s, the same clean failure', async () => {
    // 600 bytes: the session and the statement are open, the stall comes between status polls.
    const r = await expectCleanCut(ws, 'stall', 600, 40, '2s');
    expect(r.stderr).toMatch(
      /^error: lost the connection to wh after 0 rows \(no data from the server for 10s: read_timeout\)$/m,
    );
    expect(Number(r.summary!.seconds)).toBeGreaterThanOrEqual(10);
  }, 180_000);
});
