// `npm run bench -- follow-up`: 二次触达 at scale (issue 13). A first-touch job's ledger with
// 1,000,000 delivered people (500 acknowledged batches of 2,000 keys, as a webhook run leaves
// them) is read by loadFollowUp with a `responded` rule over an SQLite warehouse of 1,000,000
// people and 200,000 response events, and the job's own lead query (planJob + renderQuery, as a
// run renders it) is streamed against it: many people go to the scratch database and meet the
// stream by a merge join (src/run/follow-up.ts), or by a lookup per row with a lead.order_by.
// Then the same job with 1,000 delivered people, bound into the queries vs met in the stream.
// Each case reports its peak RSS (the kernel's VmHWM, reset before the case through
// /proc/self/clear_refs), its peak V8 heap (sampled every 2 ms and after each batch: garbage
// included) and, with NODE_OPTIONS=--expose-gc, the heap still live after a full collection
// once loaded and halfway through the stream (what the run holds on to).
// CRM_LEADS_BENCH_FOLLOW_UP_PEOPLE=N runs it with N people instead of 1,000,000.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { loadJob } from '../src/config/load-job.ts';
import { planJob } from '../src/plan/plan.ts';
import { resolveRunTime } from '../src/plan/time.ts';
import { loadFollowUp } from '../src/run/follow-up.ts';
import { renderQuery } from '../src/sql/render-query.ts';
import { recordDeliveries } from '../src/state/deliveries.ts';
import { openStateStore } from '../src/state/state-store.ts';
import { openWarehouse } from '../src/warehouses/open-warehouse.ts';
import { log } from './lib/measure.ts';

const PEOPLE = Number(process.env.CRM_LEADS_BENCH_FOLLOW_UP_PEOPLE ?? 1_000_000);
const mb = () => Math.round(process.memoryUsage().rss / 1e6);
const heapMb = () => process.memoryUsage().heapUsed / 1e6;
/** Peak RSS since the last resetPeak() (VmHWM), MB (10^6 bytes, as mb()). */
const peakRssMb = () =>
  Math.round((Number(/VmHWM:\s+(\d+)/.exec(readFileSync('/proc/self/status', 'utf8'))![1]) * 1024) / 1e6);
// Linux >= 4.0: writing 5 resets VmHWM to the current RSS.
const resetPeak = () => writeFileSync('/proc/self/clear_refs', '5');

const JOB = `name: call
source: wh
timezone: UTC
audience:
  table: dim_user
  follow_up: { job: push, within: 3d, responded: { table: events, event: click_push, within: 2d } }
lead: { fields: [user_id, follow_up.delivered_at] }
`;
// The same with a lead.order_by: many people are then looked up per row, not merged.
const ORDERED = JOB.replace('lead: { fields', 'lead: { order_by: { user_id: desc }, fields');

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
  const warehouse = await openWarehouse('wh', { type: 'sqlite', path: whPath });
  const cases = [
    { delivered: PEOPLE, limit: '1000', job: JOB },
    { delivered: PEOPLE, limit: '1000', job: ORDERED },
    { delivered: 1000, limit: '1000', job: JOB },
    { delivered: 1000, limit: '0', job: JOB },
  ];
  const stores = new Map<number, Awaited<ReturnType<typeof openStateStore>>>();
  for (const c of cases) {
    let store = stores.get(c.delivered);
    if (!store) {
      store = await openStateStore(join(dir, `state-${c.delivered}.db`));
      stores.set(c.delivered, store);
      const keys = Array.from({ length: c.delivered }, (_, i) => String(i + 1));
      for (let i = 0; i < keys.length; i += 2000)
        await recordDeliveries(
          store,
          { job: 'push', atMs: at.epochMs - 86_400_000, runId: 'r', destination: 'w' },
          keys.slice(i, i + 2000),
        );
      // recordDeliveries stamps the wall clock: put the acknowledgements inside the window.
      await store.knex('crm_leads_deliveries').update({ delivered_ms: at.epochMs - 86_400_000 });
    }
    const job = loadJob(join(dir, 'call.yaml'), undefined, {}, c.job);
    process.env.CRM_LEADS_FOLLOW_UP_BIND_LIMIT = c.limit;
    global.gc?.();
    const before = mb();
    const heapBefore = heapMb();
    resetPeak();
    let heapPeak = heapBefore;
    const sampler = setInterval(() => (heapPeak = Math.max(heapPeak, heapMb())), 2);
    const started = performance.now();
    const followUp = await loadFollowUp(job, at, store, warehouse, 'sqlite');
    const loaded = performance.now();
    global.gc?.();
    const heapLoaded = heapMb() - heapBefore;
    // The lead query as the run renders it: bound keys, the merge order, or the job's own order.
    const plan = planJob(job, at, 'sqlite', {
      streamFilters: true,
      followUpKeys: followUp.boundKeys,
      followUpMerge: followUp.merged,
    });
    let kept = 0;
    let batches = 0;
    let heapLive = 0;
    for await (const rows of warehouse.stream(renderQuery(plan), { batchSize: 10000 })) {
      for (const [key] of rows) if (followUp.match(String(key))) kept++;
      heapPeak = Math.max(heapPeak, heapMb());
      // Halfway through a million-row stream: what the heap holds after a full collection.
      if (++batches === Math.ceil(PEOPLE / 20000) && global.gc) {
        global.gc();
        heapLive = heapMb() - heapBefore;
      }
    }
    followUp.close();
    clearInterval(sampler);
    const how = followUp.boundKeys
      ? 'bound into the query'
      : followUp.merged
        ? 'merge join'
        : 'lookup per row (lead.order_by)';
    log(
      `${c.delivered} delivered, ${how}: load ${Math.round(loaded - started)} ms, stream ${Math.round(performance.now() - loaded)} ms, ${kept} kept; ` +
        `RSS ${before} MB before, peak ${peakRssMb()} MB (+${peakRssMb() - before}); heap ${Math.round(heapBefore)} MB before, peak ${Math.round(heapPeak)} MB (+${Math.round(heapPeak - heapBefore)}), +${Math.round(heapLoaded)} MB kept after load, +${Math.round(heapLive)} MB live halfway through the stream`,
    );
  }
  for (const store of stores.values()) await store.close();
  delete process.env.CRM_LEADS_FOLLOW_UP_BIND_LIMIT;
  await warehouse.close();
}
