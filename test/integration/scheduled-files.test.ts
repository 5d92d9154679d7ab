// A file destination never destroys leads that an earlier run recorded as delivered (issue 10),
// through the real CLI: a daily job writing one fixed path is refused by validate, run and
// schedule before anything is written; with `mode: append` the next day's run adds its leads under
// the first day's, which stay in the file; a file with another header fails the run untouched.
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.ts';
import { deliveryWorkspace, range, type DeliveryWorkspace } from '../support/delivery-fixture.ts';

const PEOPLE = 30;
let ws: DeliveryWorkspace;
const daily = (name: string, destination: string, schedule = '0 9 * * *') => `name: ${name}
source: wh
timezone: Asia/Shanghai
schedule: "${schedule}"
audience: { table: people, key: user_id }
exclude: { delivered: 7d }
lead: { fields: [user_id, name], order_by: { score: asc }, limit: 10 }
destinations: [ ${destination} ]
`;
beforeAll(async () => {
  ws = await deliveryWorkspace('scheduled_files', PEOPLE);
});
afterAll(async () => ws?.close());

const cli = (args: string[]) => runCli(args, { cwd: ws.dir });
const keysOf = (text: string) =>
  text
    .replace(/^\uFEFF/, '')
    .split('\r\n')
    .filter(Boolean)
    .map((l) => l.split(',')[0]);

describe('a scheduled job whose runs would write the same file', () => {
  it('is refused by validate, run and schedule (exit 2 at destinations[0].path), nothing written', async () => {
    const cases: [string, string, string][] = [
      ['0 9 * * *', 'csv', '{ type: csv, path: "out/{{job}}.csv" }'],
      ['0 0 * * *', 'csv', '{ type: csv, path: "out/{{job}}.csv" }'],
      ['0 9 * * 1-5', 'csv', '{ type: csv, path: "out/{{job}}.csv" }'],
      ['0 0 1,15 * *', 'xlsx', '{ type: xlsx, path: "out/{{job}}.xlsx" }'],
    ];
    for (const [schedule, type, destination] of cases) {
      const file = ws.writeJob('fixed', daily('fixed', destination, schedule));
      for (const args of [
        ['validate', file],
        ['run', file, '--at', '2026-11-28T09:00:00'],
        ['schedule', file],
      ]) {
        const r = await cli(args);
        expect(r.code, `${args.join(' ')} (${schedule}): ${r.stderr}`).toBe(2);
        expect(r.stderr).toMatch(
          new RegExp(
            `${join(ws.dir, file)}:8:\\d+: destinations\\[0\\]\\.path: "out/\\{\\{job\\}\\}\\.${type}": schedule "${schedule.replace(/\*/g, '\\*')}" would write out/fixed\\.${type} at .* and again at .*, replacing the leads of the first run`,
          ),
        );
      }
    }
    expect(existsSync(join(ws.dir, 'out'))).toBe(false);
    expect(existsSync(join(ws.dir, '.crm-leads'))).toBe(false);
  }, 240_000); // twelve CLI runs

  it('with mode: append the next day adds its leads under the first day’s, one header, all still there', async () => {
    const file = ws.writeJob('appended', daily('appended', '{ type: csv, path: "out/{{job}}.csv", mode: append }'));
    expect((await cli(['validate', file])).code).toBe(0);
    const first = await cli(['run', file, '--at', '2026-11-28T09:00:00']);
    expect(first.code, first.stderr).toBe(0);
    const second = await cli(['run', file, '--at', '2026-11-29T09:00:00']);
    expect(second.code, second.stderr).toBe(0);
    expect(second.summary).toMatchObject({ leads: 10, counts: { delivered: 10 } });
    const text = readFileSync(join(ws.dir, 'out', 'appended.csv'), 'utf8');
    expect(text.startsWith('\uFEFFuser_id,name\r\n')).toBe(true);
    // The first day's ten (on cooldown) are still in the file, the second day's ten follow.
    expect(keysOf(text)).toEqual(['user_id', ...range(1, 20)]);
    expect(readdirSync(join(ws.dir, 'out'))).toEqual(['appended.csv']);
  }, 60_000);

  it('appending to a file whose first line is another header fails the run (exit 1), the file untouched', async () => {
    const file = ws.writeJob('other', daily('other', '{ type: csv, path: "out/{{job}}.csv", mode: append }'));
    const before = 'id,phone\r\n7,13800000007\r\n';
    writeFileSync(join(ws.dir, 'out', 'other.csv'), before);
    const r = await cli(['run', file, '--at', '2026-11-28T09:00:00']);
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toContain(
      `${join(ws.dir, 'out', 'other.csv')}: mode: append, but the file's first line is not this job's header (user_id,name)`,
    );
    expect(readFileSync(join(ws.dir, 'out', 'other.csv'), 'utf8')).toBe(before);
    expect(readdirSync(join(ws.dir, 'out')).sort()).toEqual(['appended.csv', 'other.csv']);
    // Nothing was delivered: the next run with the right file delivers the same ten people.
    writeFileSync(join(ws.dir, 'out', 'other.csv'), 'user_id,name'); // no final line break
    const again = await cli(['run', file, '--at', '2026-11-28T09:00:00']);
    expect(again.code, again.stderr).toBe(0);
    expect(keysOf(readFileSync(join(ws.dir, 'out', 'other.csv'), 'utf8'))).toEqual(['user_id', ...range(1, 10)]);
  }, 60_000);
});
