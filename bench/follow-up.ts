// `npm run bench -- follow-up`: 二次触达 at scale (issue 13). A first-touch job's ledger with
// 1,000,000 delivered people (500 acknowledged batches of 2,000 keys, as a webhook run leaves
// them) is read by loadFollowUp with a `responded` rule over an SQLite warehouse of 1,000,000
// people and 200,000 response events; the memory grows with the delivered people (kept as
// key -> batch index, src/state/deliveries.ts LatestDeliveries), and stays flat while the stream
// is read. Then the same job with 1,000 delivered people, bound into the queries vs met in the
// stream (the whole audience read).
// CRM_LEADS_BENCH_FOLLOW_UP_PEOPLE=N runs it with N people instead of 1,000,000 (a loaded
// machine); the per-million figure it prints is then extrapolated from N, and says so.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { loadJob } from '../src/config/load-job.ts';
import { resolveRunTime } from '../src/plan/time.ts';
import { loadFollowUp } from '../src/run/follow-up.ts';
import { recordDeliveries } from '../src/state/deliveries.ts';
import { openStateStore } from '../src/state/state-store.ts';
import { openWarehouse } from '../src/warehouses/open-warehouse.ts';
import { log } from './lib/measure.ts';

const PEOPLE = Number(process.env.CRM_LEADS_BENCH_FOLLOW_UP_PEOPLE ?? 1_000_000);
const mb = () => Math.round(process.memoryUsage().rss / 1e6);
const heapMb = () => process.memoryUsage().heapUsed / 1e6;

const JOB = `name: call
source: wh
timezone: UTC
audience:
  table: dim_user
  follow_up: { job: push, within: 3d, responded: { table: events, event: click_push, within: 2d } }
lead: { fields: [user_id, follow_up.delivered_at] }
`;

export async function run(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'crm-leads-bench-follow-up-'));
  const whPath = join(dir, 'wh.db');
  const wh = new Database(whPath);
  wh.exec(`create table dim_user (user_id integer primary key);
    create table events (user_id integer, event_name text, event_time text);
    with recursive n(i) as (select 1 union all select i + 1 from n where i < ${PEOPLE}) insert into dim_user select i from n;
    insert into events select user_id, 'click_push', '2026-11-21 10:00:00' from dim_user where user_id % 5 = 0;
    create index ev on events (user_id, event_name, event_time);`);
  wh.close();
  const at = resolveRunTime('2026-11-22T00:00:00', 'UTC');
  const job = loadJob(join(dir, 'call.yaml'), undefined, {}, JOB);
  const warehouse = await openWarehouse('wh', { type: 'sqlite', path: whPath });
  for (const delivered of [PEOPLE, 1000]) {
    const store = await openStateStore(join(dir, `state-${delivered}.db`));
    const keys = Array.from({ length: delivered }, (_, i) => String(i + 1));
    for (let i = 0; i < keys.length; i += 2000)
      await recordDeliveries(
        store,
        { job: 'push', atMs: at.epochMs - 86_400_000, runId: 'r', destination: 'w' },
        keys.slice(i, i + 2000),
      );
    // recordDeliveries stamps the wall clock: put the acknowledgements inside the window.
    await store.knex('crm_leads_deliveries').update({ delivered_ms: at.epochMs - 86_400_000 });
    for (const limit of delivered === PEOPLE ? ['1000'] : ['1000', '0']) {
      process.env.CRM_LEADS_FOLLOW_UP_BIND_LIMIT = limit;
      global.gc?.();
      const before = mb();
      const heapBefore = heapMb();
      const started = performance.now();
      const followUp = await loadFollowUp(job, at, store, warehouse, 'sqlite');
      const loaded = performance.now();
      // The key set as loaded (heap, before the stream allocates): what the delivered people cost.
      // With --expose-gc the load's garbage is collected first, so this is what stays.
      global.gc?.();
      const heapLoaded = heapMb() - heapBefore;
      const rssLoaded = mb();
      let kept = 0;
      // The stream side: every audience row meets the key set (bound: only the delivered are read).
      const sql = followUp.boundKeys
        ? {
            sql: `select user_id from dim_user where user_id in (${followUp.boundKeys.map(() => '?').join(',')})`,
            bindings: followUp.boundKeys,
          }
        : { sql: 'select user_id from dim_user', bindings: [] };
      let peak = mb();
      for await (const rows of warehouse.stream(sql, { batchSize: 10000 })) {
        for (const [key] of rows) if (followUp.match(String(key))) kept++;
        peak = Math.max(peak, mb());
      }
      const perMillion = ((rssLoaded - before) * 1e6) / delivered;
      log(
        `${delivered} delivered, ${followUp.boundKeys ? 'bound into the query' : 'met in the stream'}: load ${Math.round(loaded - started)} ms, stream ${Math.round(performance.now() - loaded)} ms, ${kept} kept; RSS ${before} -> ${rssLoaded} MB after load, peak ${peak} MB while streaming` +
          (delivered >= 100_000
            ? `; heap +${Math.round(heapLoaded)} MB kept after load (RSS +${Math.round(perMillion)} MB, heap +${Math.round((heapLoaded * 1e6) / delivered)} MB per million delivered${delivered === 1_000_000 ? '' : `, extrapolated from ${delivered}`})`
            : ''),
      );
    }
    await store.close();
  }
  delete process.env.CRM_LEADS_FOLLOW_UP_BIND_LIMIT;
  await warehouse.close();
}
