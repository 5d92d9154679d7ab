// The ledger's own writes on a full disk (issue 10): an SQLite ledger on a small tmpfs that has
// room for the schema, the lock and the run's record but not for the run's deliveries.
// Expected: exit 1, one error line naming the ledger and the cause (never the INSERT with its
// thousands of keys, no stack trace), the run failed in the ledger, its lock released, no
// temporary file, the previous CSV untouched. A tmpfs needs root (`mount`): CI runs as root, and
// a machine where it cannot be mounted fails here rather than skipping.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.ts';
import { deliveryWorkspace, type DeliveryWorkspace } from '../support/delivery-fixture.ts';
import { ensureDir, mountSmallTmpfs, type SmallDisk } from '../support/full-disk.ts';

// 40,000 keys take about 300 KB of ledger; the schema, a lock and a run record about 130 KB.
const PEOPLE = 40_000;
const TMPFS_KB = 224;
const PREVIOUS = 'the previous run\r\n';
const JOB =
  'name: full\nsource: wh\naudience: { table: people, key: user_id }\nlead: { fields: [user_id, name, phone] }\ndestinations: [ { type: csv, path: out/full.csv } ]\n';

let ws: DeliveryWorkspace;
let tmpfs: SmallDisk | undefined;
// Too small even for the ledger's schema.
let tiny: SmallDisk | undefined;
beforeAll(async () => {
  ws = await deliveryWorkspace('ledger_full', PEOPLE);
  tmpfs = mountSmallTmpfs(TMPFS_KB);
  tiny = mountSmallTmpfs(64);
}, 120_000);
afterAll(async () => {
  tmpfs?.remove();
  tiny?.remove();
  await ws?.close();
});

describe('a full disk under the SQLite ledger', () => {
  it('exit 1, one line naming the ledger and the cause, run failed, lock released, no temporary file', async () => {
    expect(tmpfs, 'mounting a tmpfs needs root').toBeDefined();
    const ledger = join(tmpfs!.dir, 'state.db');
    const out = ensureDir(join(ws.dir, 'out'));
    writeFileSync(join(out, 'full.csv'), PREVIOUS);
    const job = ws.writeJob('full', JOB);

    const r = await runCli(['run', job, '--state', ledger], { cwd: ws.dir });

    expect(r.code, r.stderr).toBe(1);
    const errors = r.stderr.split('\n').filter((l) => l.startsWith('error:'));
    expect(errors).toEqual([`error: state ${ledger}: database or disk is full (SQLITE_FULL)`]);
    expect(r.stderr).not.toMatch(/insert into|^\s+at /im);
    expect(r.summary).toMatchObject({ job: 'full', status: 'failed', exit: 1 });
    expect(readFileSync(join(out, 'full.csv'), 'utf8')).toBe(PREVIOUS);
    expect(readdirSync(out)).toEqual(['full.csv']);
    expect(readdirSync(tmpfs!.dir).filter((f) => !f.startsWith('state.db'))).toEqual([]);

    const db = new Database(ledger, { readonly: true });
    try {
      expect(db.prepare('select job, status from crm_leads_runs').all()).toEqual([{ job: 'full', status: 'failed' }]);
      expect(db.prepare('select count(*) as n from crm_leads_locks').get()).toEqual({ n: 0 });
      expect(db.prepare('select count(*) as n from crm_leads_deliveries').get()).toEqual({ n: 0 });
    } finally {
      db.close();
    }
  }, 120_000);

  it('a ledger that cannot even be created: the same one line, naming the ledger once, nothing queried', async () => {
    expect(tiny, 'mounting a tmpfs needs root').toBeDefined();
    const ledger = join(tiny!.dir, 'state.db');
    const r = await runCli(['run', ws.writeJob('tiny', JOB.replaceAll('full', 'tiny')), '--state', ledger], {
      cwd: ws.dir,
    });
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr.split('\n').filter((l) => l.startsWith('error:'))).toEqual([
      `error: state ${ledger}: database or disk is full (SQLITE_FULL)`,
    ]);
    expect(readdirSync(ensureDir(join(ws.dir, 'out'))).filter((f) => f.includes('tiny'))).toEqual([]);
  }, 60_000);
});
