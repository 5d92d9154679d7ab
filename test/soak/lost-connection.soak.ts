// The reproduction at full size: 500,000 rows from MariaDB and PostgreSQL, the
// connection cut by a real TCP proxy process after 8 MB (FIN, RST, silent), then SIGTERM while
// silent. The same checks as test/integration/lost-connection.test.ts (a smaller cut).
import { afterAll, beforeAll, describe, it } from 'vitest';
import {
  cutWorkspace,
  expectCleanCut,
  expectSigtermEndsStalledRun,
  type CutWorkspace,
  type ServerDialect,
} from '../support/lost-connection.ts';

const PEOPLE = 500_000;
const CUT_AT = 8 * 1024 * 1024;

describe.each<ServerDialect>(['mysql', 'postgres'])('500k rows from %s, cut after 8 MB', (dialect) => {
  let ws: CutWorkspace;
  beforeAll(async () => {
    ws = await cutWorkspace(dialect, 'lost_connection_soak', PEOPLE);
  });
  afterAll(async () => ws?.close());

  it('FIN', () => expectCleanCut(ws, 'fin', CUT_AT, 60));
  it('RST', () => expectCleanCut(ws, 'rst', CUT_AT, 60));
  it('silent (read_timeout 5s)', () => expectCleanCut(ws, 'stall', CUT_AT, 60, '5s'));
  it('silent, then SIGTERM', () => expectSigtermEndsStalledRun(ws, CUT_AT, 15));
});
