// A warehouse connection lost mid-result, through a real TCP proxy process in front of the real
// MariaDB and PostgreSQL servers and of the HiveServer2 test server (Thrift, to the unmodified
// hive-driver; MariaDB behind it): closed (FIN), reset (RST), or silent (the proxy stops
// forwarding; read_timeout). And SIGTERM / SIGINT while the server is silent. Every case: exit
// 1 within seconds, one line, no temporary file, the previous CSV untouched, the run failed (or
// interrupted) in the ledger, the lock released. The half-million-row version (cut after 8 MB)
// is test/soak/lost-connection.soak.ts.
import { afterAll, beforeAll, describe, it } from 'vitest';
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
