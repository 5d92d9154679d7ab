// A full disk while a run writes: the CSV on a 3 MB tmpfs (ENOSPC, when this user may mount)
// and under `ulimit -f` (EFBIG, always); the ledger's own SQLite file is ledger-disk-full.test.ts.
// Expected every time: exit 1, one error line naming the file and the cause (no stack trace,
// never a whole INSERT), no temporary file, the previous file untouched, the run failed in the
// ledger when the ledger itself is writable.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.ts';
import { createTestDatabase, serverUrl, type TestDatabase } from '../support/databases.ts';
import { deliveryWorkspace, type DeliveryWorkspace } from '../support/delivery-fixture.ts';
import { ensureDir, mountSmallTmpfs, type SmallDisk } from '../support/full-disk.ts';

// 120,000 leads of ~30 bytes: about 3.6 MB of CSV, beyond both limits below.
const PEOPLE = 120_000;
const PREVIOUS = 'the previous run\r\n';

let ws: DeliveryWorkspace;
let tmpfs: SmallDisk | undefined;
// `ulimit -f` limits every file of the process: with the CSV limited, the ledger lives on MariaDB.
let ledgerDb: TestDatabase;
let ledger: string;
beforeAll(async () => {
  ws = await deliveryWorkspace('disk_full', PEOPLE);
  tmpfs = mountSmallTmpfs(3 * 1024);
  ledgerDb = await createTestDatabase('mysql', 'disk_full_ledger');
  ledger = serverUrl('mysql', 'disk_full_ledger');
}, 120_000);
afterAll(async () => {
  tmpfs?.remove();
  await ledgerDb?.drop();
  await ws?.close();
});

const job = (name: string, path: string) =>
  ws.writeJob(
    name,
    `name: ${name}
source: wh
audience: { table: people, key: user_id }
lead: { fields: [user_id, name, phone] }
destinations: [ { type: csv, path: "${path}" } ]
`,
  );

async function runStatus(name: string): Promise<string[]> {
  const listed = await runCli(['runs', '--job', name, '--json', '--state', ledger], { cwd: ws.dir });
  return (JSON.parse(listed.stdout) as { status: string }[]).map((r) => r.status);
}

function expectOneCleanError(stderr: string, pattern: RegExp): void {
  const errors = stderr.split('\n').filter((l) => l.startsWith('error:'));
  expect(errors, stderr).toHaveLength(1);
  expect(errors[0]).toMatch(pattern);
  expect(stderr).not.toMatch(/^\s+at /m);
  expect(stderr).not.toMatch(/insert into/i);
}

describe('a full disk while writing the CSV', () => {
  const cases = () => [
    // The tmpfs is the disk-full case itself; it needs root (mount), ulimit -f works for anyone.
    ...(tmpfs ? [{ how: 'a 3 MB tmpfs', folder: tmpfs.dir, limit: undefined, code: 'ENOSPC' }] : []),
    { how: 'ulimit -f 1024', folder: ensureDir(join(ws.dir, 'limited')), limit: 1024, code: 'EFBIG' },
  ];

  it('exit 1, one line naming the file and the cause, no temporary file, previous file kept, run failed in the ledger', async () => {
    for (const c of cases()) {
      const name = `full-${c.code.toLowerCase()}`;
      const target = join(c.folder, `${name}.csv`);
      writeFileSync(target, PREVIOUS);
      const r = await runCli(['run', job(name, target), '--state', ledger], { cwd: ws.dir, fileSizeLimitKb: c.limit });
      expect(r.code, `${c.how}: ${r.stderr}`).toBe(1);
      const cause = c.code === 'ENOSPC' ? 'the disk is full' : 'the file is larger than this process may write';
      expectOneCleanError(r.stderr, new RegExp(`^error: csv ${target}: ${cause}.*\\(${c.code}\\)$`));
      expect(r.summary).toMatchObject({ job: name, status: 'failed', exit: 1 });
      expect(readFileSync(target, 'utf8')).toBe(PREVIOUS);
      expect(readdirSync(c.folder).filter((f) => f.startsWith(`.${name}`))).toEqual([]);
      expect(await runStatus(name)).toEqual(['failed']);
    }
  }, 120_000);
});
