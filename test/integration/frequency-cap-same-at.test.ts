// exclude.delivered with scope: all counts what other jobs delivered at the *same* --at: cron
// and Airflow pin every job of a slot to one logical time, and job B must not call the people
// job A just called. A re-run of the same job at the same --at is not capped by its own
// deliveries (it rewrites its CSV whole).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.ts';
import { deliveryWorkspace, range, type DeliveryWorkspace } from '../support/delivery-fixture.ts';

const PEOPLE = 30;
const AT = '2026-11-20T09:00:00';
let ws: DeliveryWorkspace;
beforeAll(async () => {
  ws = await deliveryWorkspace('frequency_cap_same_at', PEOPLE);
});
afterAll(async () => ws?.close());

const job = (name: string, limit: number) =>
  ws.writeJob(
    name,
    `name: ${name}
source: wh
audience: { table: people, key: user_id }
exclude: { delivered: { within: 7d, scope: all } }
lead: { fields: [user_id], order_by: { score: asc }, limit: ${limit} }
destinations: [ { type: csv, path: "out/{{job}}.csv", bom: false } ]
`,
  );
const keysIn = (name: string) =>
  readFileSync(join(ws.dir, 'out', `${name}.csv`), 'utf8')
    .split('\r\n')
    .slice(1)
    .filter(Boolean);

describe('scope: all at the same --at', () => {
  it("job B skips the people job A delivered at the same at; A's re-run at that at delivers them again", async () => {
    const a = job('slot-a', 20);
    const b = job('slot-b', 100);
    expect((await runCli(['run', a, '--at', AT], { cwd: ws.dir })).code).toBe(0);
    expect(keysIn('slot-a')).toEqual(range(1, 20));
    const second = await runCli(['run', b, '--at', AT], { cwd: ws.dir });
    expect(second.code, second.stderr).toBe(0);
    expect(keysIn('slot-b')).toEqual(range(21, PEOPLE));
    expect(second.summary!.counts).toMatchObject({ delivered: 20 });
    // Its own deliveries at this at do not cap a re-run of A (the CSV is rewritten whole).
    const rerun = await runCli(['run', a, '--at', AT], { cwd: ws.dir });
    expect(rerun.code, rerun.stderr).toBe(0);
    expect(keysIn('slot-a')).toEqual(range(1, 20));
  });
});
