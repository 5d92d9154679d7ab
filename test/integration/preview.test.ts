// `--csv` makes a run a preview (the README's "try it" command): it reads the ledger for
// cooldowns but records nothing, so the next real run still delivers those leads; it says so;
// `--record` opts in. With `--csv -` stdout carries only the CSV and the summary goes to stderr.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.ts';
import { deliveryWorkspace, range, type DeliveryWorkspace } from '../support/delivery-fixture.ts';

const PEOPLE = 25;
const AT = '2026-11-20T09:00:00';
const LATER = '2026-11-20T12:00:00';
let ws: DeliveryWorkspace;
beforeAll(async () => {
  ws = await deliveryWorkspace('preview', PEOPLE);
  ws.writeJob(
    'cooled',
    `name: cooled
source: wh
audience: { table: people, key: user_id }
exclude: { delivered: 7d }
lead: { fields: [user_id, phone], order_by: { score: asc } }
destinations: [ { type: csv, path: "out/{{job}}-{{date}}.csv", bom: false } ]
`,
  );
});
afterAll(async () => ws?.close());

const run = (args: string[]) => runCli(['run', 'cooled.yaml', ...args], { cwd: ws.dir });
const keysOf = (csv: string) =>
  csv
    .split('\r\n')
    .slice(1)
    .filter(Boolean)
    .map((l) => l.split(',')[0]);
const ledgerRuns = async () => {
  const r = await runCli(['runs', '--job', 'cooled', '--json'], { cwd: ws.dir });
  return r.code === 0 && r.stdout.trim() ? (JSON.parse(r.stdout) as { status: string }[]) : [];
};

describe('a preview (--csv)', () => {
  it('prints only the CSV on stdout, the summary on stderr, records nothing and says so', async () => {
    const r = await run(['--at', AT, '--csv', '-']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.startsWith('user_id,phone\r\n')).toBe(true);
    expect(keysOf(r.stdout)).toEqual(range(1, PEOPLE));
    expect(r.stdout).not.toContain('{');
    expect(r.summary).toMatchObject({ job: 'cooled', status: 'ok', preview: true, leads: PEOPLE });
    expect(r.stderr).toMatch(/preview \(--csv\): nothing recorded in the ledger.*--record/);
    // No run, no deliveries: not even a ledger file was created.
    expect(existsSync(join(ws.dir, '.crm-leads', 'state.db'))).toBe(false);
  });

  it('does not consume the cooldown: the real run afterwards delivers everyone', async () => {
    const real = await run(['--at', AT]);
    expect(real.code, real.stderr).toBe(0);
    expect(real.summary).toMatchObject({ status: 'ok', leads: PEOPLE });
    expect(real.summary).not.toHaveProperty('preview');
    expect(keysOf(readFileSync(join(ws.dir, 'out', 'cooled-2026-11-20.csv'), 'utf8'))).toEqual(range(1, PEOPLE));
    expect((await ledgerRuns()).map((r) => r.status)).toEqual(['ok']);
  });

  it('reads the cooldown: a preview after the real run shows nobody, and still records nothing', async () => {
    const r = await run(['--at', LATER, '--csv', 'out/preview.csv']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.summary).toMatchObject({ preview: true, leads: 0, counts: { delivered: PEOPLE } });
    expect(readFileSync(join(ws.dir, 'out', 'preview.csv'), 'utf8')).toBe('\uFEFFuser_id,phone\r\n');
    expect((await ledgerRuns()).map((r) => r.status)).toEqual(['ok']);
  });

  it('--record opts in: the run and its deliveries are recorded like any run', async () => {
    const r = await run(['--at', '2026-11-29T09:00:00', '--csv', 'out/recorded.csv', '--record']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.summary).toMatchObject({ status: 'ok', leads: PEOPLE });
    expect(r.summary).not.toHaveProperty('preview');
    expect((await ledgerRuns()).map((r) => r.status)).toEqual(['ok', 'ok']);
    const after = await run(['--at', '2026-11-29T10:00:00', '--csv', '-']);
    expect(after.summary).toMatchObject({ preview: true, leads: 0, counts: { delivered: PEOPLE } });
  });
});
