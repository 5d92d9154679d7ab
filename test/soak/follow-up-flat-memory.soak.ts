// Issue 13: a follow-up over 1,000,000 delivered people runs in flat memory. The real CLI runs
// in a child process whose V8 heap is capped at HEAP_MB, far below what holding the people
// needs: the code before the merge join kept ~64 MB of heap for a million people (a Map of
// key -> batch) and peaked at +288 MB while loading them (bench/README-figures.md, issue 13);
// under the same cap that code aborted with "JavaScript heap out of memory" while growing its
// Map (checked by hand on this fixture at 9c6efd3; with a 1 GB heap it gave the same leads).
// The ledger is SQLite with the first touch's 500 acknowledged batch rows of 2,000 keys, the
// keys scattered over the batches (key i in batch i mod 500) so that the scratch database
// really sorts them; built with SQL in a few seconds. The warehouse is SQLite with the million
// people, 1,000 never delivered, and click events for every fifth person.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { DateTime } from 'luxon';
import { beforeAll, describe, expect, it } from 'vitest';
import { openStateStore } from '../../src/state/state-store.ts';
import { runCli } from '../support/cli.ts';

const DELIVERED = 1_000_000;
const BATCHES = 500;
/** The child's V8 heap cap, MB: the old code's key set alone (64 MB) does not fit. */
const HEAP_MB = 48;
const AT = DateTime.fromISO('2026-11-22T00:00:00', { zone: 'UTC' });
const DELIVERED_AT = AT.minus({ days: 1 }); // the acknowledgement of every batch

const JOB = `name: call
source: wh
timezone: UTC
audience:
  table: dim_user
  follow_up: { job: push, within: 3d, responded: { table: events, event: click_push, within: 2d } }
lead: { fields: [user_id, phone, follow_up.delivered_at] }
`;

describe('a follow-up over 1,000,000 delivered people', () => {
  const dir = mkdtempSync(join(tmpdir(), 'crm-leads-flat-follow-up-'));
  const state = join(dir, 'state.db');

  beforeAll(async () => {
    // The ledger's tables as the product creates them, then the batch rows written directly.
    await (await openStateStore(state)).close();
    const ledger = new Database(state);
    ledger.exec(`with recursive n(i) as (select 1 union all select i + 1 from n where i < ${DELIVERED})
      insert into crm_leads_deliveries (job, at_ms, destination, channel, run_id, delivered_ms, pending, lead_count, person_keys)
      select 'push', ${DELIVERED_AT.toMillis()}, 'w', null, 'r', ${DELIVERED_AT.toMillis()}, 0, count(*),
        char(10) || group_concat(i, char(10)) || char(10)
      from n group by i % ${BATCHES}`);
    ledger.close();
    const wh = new Database(join(dir, 'wh.db'));
    // People 1..1,001,000 (the last 1,000 never delivered); every fifth clicks an hour after
    // the delivery (responded), and every seventh also clicked before it (does not count).
    wh.exec(`create table dim_user (user_id integer primary key, phone text);
      create table events (user_id integer, event_name text, event_time text);
      with recursive n(i) as (select 1 union all select i + 1 from n where i < ${DELIVERED + 1000})
      insert into dim_user select i, '137' || i from n;
      insert into events select user_id, 'click_push', '${DELIVERED_AT.plus({ hours: 1 }).toFormat('yyyy-MM-dd HH:mm:ss')}' from dim_user where user_id % 5 = 0;
      insert into events select user_id, 'click_push', '${DELIVERED_AT.minus({ hours: 1 }).toFormat('yyyy-MM-dd HH:mm:ss')}' from dim_user where user_id % 7 = 0;`);
    wh.close();
    writeFileSync(join(dir, 'connections.yaml'), `wh: { type: sqlite, path: ${join(dir, 'wh.db')} }\n`);
    writeFileSync(join(dir, 'call.yaml'), JOB);
  }, 300_000);

  it(`runs with a ${HEAP_MB} MB heap and gives exactly the responders, in key order`, async () => {
    const r = await runCli(
      ['run', 'call.yaml', '--at', AT.toFormat("yyyy-MM-dd'T'HH:mm:ss"), '--csv', 'leads.csv', '--state', state],
      { cwd: dir, env: { NODE_OPTIONS: `--max-old-space-size=${HEAP_MB}` }, timeoutMs: 540_000 },
    );
    expect(r.stderr).not.toMatch(/heap out of memory|error/i);
    expect(r.stderr).toContain(
      `${DELIVERED} people delivered by push in the window, ${DELIVERED / 5} of them responded (met in the stream)`,
    );
    expect(r.code).toBe(0);
    const lines = readFileSync(join(dir, 'leads.csv'), 'utf8')
      .replace(/^\uFEFF/, '')
      .trimEnd()
      .split(/\r?\n/);
    expect(lines[0]).toBe('user_id,phone,follow_up.delivered_at');
    const at = DELIVERED_AT.toFormat('yyyy-MM-dd HH:mm:ss');
    // Every fifth person of the million, in the merge order (whole numbers: numeric order).
    expect(lines.length - 1).toBe(DELIVERED / 5);
    expect(lines.slice(1, 4)).toEqual([`5,1375,${at}`, `10,13710,${at}`, `15,13715,${at}`]);
    expect(lines.at(-1)).toBe(`${DELIVERED},137${DELIVERED},${at}`);
    const ids = lines.slice(1).map((l) => Number(l.split(',')[0]));
    expect(ids.every((id, i) => id === 5 * (i + 1))).toBe(true);
  }, 600_000);
});
