// Webhook delivery benchmark: 200,000 leads to a loopback node:http receiver that acknowledges
// at once, batches of 500, concurrency 4, through the real webhook destination (payload, HMAC
// signature, Idempotency-Key, undici keep-alive). The receiver runs in a child process, as a
// CRM would: the RSS reported is the sender's alone. A second pass adds what a real run adds:
// every acknowledged lead recorded in an SQLite run ledger. Reports leads/s and peak RSS.
// Goal: >= 100,000 leads/s and RSS < 150 MB.  `npm run bench -- webhook` or `npx tsx bench/webhook.ts`.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Lead } from '../src/destinations/destination.ts';
import { webhookDestination } from '../src/destinations/webhook.ts';
import { resolveRunTime } from '../src/plan/time.ts';
import { TrackedDestinations } from '../src/run/tracked-destinations.ts';
import type { StateStore } from '../src/state/state-store.ts';

const LEADS = 200_000;
const BATCH = 500;
// What the pipeline hands over per warehouse batch.
const UPSTREAM_BATCH = 1000;
const FIELDS = ['user_id', 'name', 'phone', 'city', 'income'];

// Plain JavaScript for `node -e`: reads each body whole, answers 200, prints its port.
const RECEIVER = `
const server = require('node:http').createServer({ keepAlive: true }, (req, res) => {
  let n = 0;
  req.on('data', (c) => (n += c.length));
  req.on('end', () => res.end('ok'));
});
server.listen(0, '127.0.0.1', () => console.log(server.address().port));
`;

export async function run(): Promise<void> {
  const receiver = spawn(process.execPath, ['-e', RECEIVER], { stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    const [port] = (await once(receiver.stdout!, 'data')) as [Buffer];
    const url = `http://127.0.0.1:${port.toString().trim()}/leads`;
    // Each pass in a fresh process: its peak RSS is that of one run, not of what ran before.
    // (These passes run under tsx, whose loader thread adds ~35 MB that the CLI does not have.)
    for (const name of ['webhook', 'ledger']) {
      const child = spawn(
        process.execPath,
        [...process.execArgv, fileURLToPath(import.meta.url), '--pass', name, url],
        { stdio: 'inherit' },
      );
      const [code] = (await once(child, 'exit')) as [number | null];
      if (code !== 0) throw new Error(`bench webhook: pass ${name} exited with ${code}`);
    }
    await cliPass(url);
  } finally {
    receiver.kill();
  }
}

async function runPass(name: string, url: string): Promise<void> {
  if (name === 'webhook') return pass('webhook', url);
  const dir = mkdtempSync(join(tmpdir(), 'crm-leads-bench-webhook-'));
  try {
    const { openStateStore } = await import('../src/state/state-store.ts');
    const store = await openStateStore(join(dir, 'state.db'));
    try {
      await pass('webhook + SQLite ledger', url, store);
    } finally {
      await store.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

// The run's own delivery path: TrackedDestinations hands the webhook one batch per write and
// records each acknowledged batch in the ledger (when there is one) before sending more.
async function pass(label: string, url: string, store?: StateStore): Promise<void> {
  const rssBefore = process.memoryUsage.rss();
  let peak = rssBefore;
  const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage.rss())), 20);
  const at = resolveRunTime('2026-11-23T09:00:00', 'Asia/Shanghai');
  const webhook = webhookDestination({
    type: 'webhook',
    url,
    secret: 'bench-secret',
    headers: {},
    batch_size: BATCH,
    concurrency: 4,
    timeout: 30,
    max_retries: 6,
  });
  const destinations = new TrackedDestinations([webhook], store && { store, atMs: at.epochMs });
  await destinations.open({
    job: 'bench',
    runId: `bench-${Date.now()}`,
    at,
    fields: FIELDS,
    channel: 'outbound_call',
    keyName: 'user_id',
  });
  const started = performance.now();
  const cpuBefore = process.cpuUsage();
  for (let i = 0; i < LEADS; i += UPSTREAM_BATCH) {
    await destinations.write(makeLeads(i, Math.min(UPSTREAM_BATCH, LEADS - i)));
    peak = Math.max(peak, process.memoryUsage.rss());
  }
  const [output] = await destinations.finish();
  const seconds = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpuBefore);
  clearInterval(sampler);
  if (output.delivered !== LEADS) throw new Error(`bench: ${output.delivered} of ${LEADS} leads acknowledged`);
  const mb = (n: number) => (n / 1024 / 1024).toFixed(0);
  process.stdout.write(
    `${label}: ${LEADS.toLocaleString('en')} leads in ${seconds.toFixed(2)}s = ${Math.round(LEADS / seconds).toLocaleString('en')} leads/s (goal >= 100,000) ` +
      `| peak RSS ${mb(peak)} MB (goal < 150 MB; ${mb(rssBefore)} MB before the pass) | sender CPU ${((cpu.user + cpu.system) / 1e6).toFixed(2)}s\n`,
  );
}

// The whole product as users run it: `crm-leads run` (compiled dist/) reads 200,000 people
// from an SQLite warehouse and posts them to the receiver, with the default run ledger.
async function cliPass(url: string): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'crm-leads-bench-webhook-cli-'));
  try {
    const { default: Database } = await import('better-sqlite3');
    const db = new Database(join(dir, 'wh.db'));
    db.exec('CREATE TABLE dim_user (user_id INTEGER PRIMARY KEY, name TEXT, phone TEXT, city TEXT, income INTEGER)');
    const insert = db.prepare('INSERT INTO dim_user VALUES (?, ?, ?, ?, ?)');
    db.transaction(() => {
      for (let i = 0; i < LEADS; i += UPSTREAM_BATCH)
        for (const lead of makeLeads(i, UPSTREAM_BATCH)) insert.run(...(lead.values as unknown[]));
    })();
    db.close();
    writeFileSync(join(dir, 'connections.yaml'), 'wh: { type: sqlite, path: wh.db }\n');
    writeFileSync(
      join(dir, 'job.yaml'),
      [
        'name: bench-webhook',
        'source: wh',
        'audience: { table: dim_user }',
        `lead: { fields: [${FIELDS.join(', ')}], channel: outbound_call }`,
        `destinations: [ { type: webhook, url: "${url}", secret: bench-secret, batch_size: ${BATCH}, concurrency: 4 } ]`,
        '',
      ].join('\n'),
    );
    const bin = fileURLToPath(new URL('../bin/crm-leads.js', import.meta.url));
    const started = performance.now();
    const r = spawnSync(
      '/usr/bin/time',
      ['-v', process.execPath, bin, 'run', 'job.yaml', '--at', '2026-11-23T09:00:00'],
      { cwd: dir, encoding: 'utf8' },
    );
    const seconds = (performance.now() - started) / 1000;
    const summary = JSON.parse(r.stdout.trim().split('\n').pop() ?? '{}') as { leads?: number; not_delivered?: number };
    if (r.status !== 0 || summary.leads !== LEADS || summary.not_delivered !== 0)
      throw new Error(`bench: CLI run failed (exit ${r.status}): ${r.stderr.slice(0, 500)}`);
    const peakKb = Number(/Maximum resident set size \(kbytes\): (\d+)/.exec(r.stderr)?.[1]);
    process.stdout.write(
      `crm-leads run (CLI, SQLite warehouse -> webhook, ledger): ${LEADS.toLocaleString('en')} leads in ${seconds.toFixed(2)}s wall incl. start-up = ` +
        `${Math.round(LEADS / seconds).toLocaleString('en')} leads/s | peak RSS ${(peakKb / 1024).toFixed(0)} MB\n`,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

// Like warehouse rows: a numeric id, text, a phone number, a city and an integer.
function makeLeads(from: number, count: number): Lead[] {
  const leads: Lead[] = new Array(count);
  for (let i = 0; i < count; i++) {
    const id = from + i + 1;
    leads[i] = {
      key: String(id),
      values: [id, `用户${id}`, `138${String(id).padStart(8, '0')}`, '上海', 10000 + (id % 5000)],
    };
  }
  return leads;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const at = process.argv.indexOf('--pass');
  if (at > 0) await runPass(process.argv[at + 1], process.argv[at + 2]);
  else await run();
}
