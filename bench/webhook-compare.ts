// Webhook delivery of 900,000 leads from the MariaDB people warehouse to a loopback receiver
// (a node:http server in its own process that acknowledges at once): `crm-leads run` with a
// webhook destination (batches of 500, concurrency 4, the run ledger on) against
// bench/alternatives/webhook-script.mjs, 40 lines of mysql2 + undici Pool(4) on the same SQL.
// Alternating pairs; goal: crm-leads' leads/s >= 0.9x the script's, and >= 150,000 leads/s.
//
//   npm run bench -- webhook-compare        BENCH_PAIRS=N (default 3)
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { AT, ensureMysqlPeople, MYSQL_SERVER, PEOPLE_DATABASE } from './data/people.ts';
import { alternate, log, measure, median, type TableRow } from './lib/measure.ts';

const BIN = fileURLToPath(new URL('../bin/crm-leads.js', import.meta.url));
const SCRIPT = fileURLToPath(new URL('./alternatives/webhook-script.mjs', import.meta.url));
const LEADS = 900_000;
const PAIRS = Number(process.env.BENCH_PAIRS ?? 3);

// Acknowledges every POST at once; GET answers how many leads ("key" or "user_id" members) came.
const RECEIVER = `
let leads = 0;
const server = require('node:http').createServer({ keepAlive: true }, (req, res) => {
  if (req.method === 'GET') return res.end(String(leads));
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    leads += JSON.parse(Buffer.concat(chunks).toString()).leads.length;
    res.end('ok');
  });
});
server.listen(0, '127.0.0.1', () => console.log(server.address().port));
`;

const JOB = (url: string) => `name: bench-webhook
source: bench
timezone: UTC
audience:
  table: dim_user
  segments: { value_tier: [high, top] }
exclude:
  converted: { table: orders, time: paid_at, within: 30d }
lead:
  fields: [user_id, name, phone, city, income]
destinations:
  - { type: webhook, url: "${url}", batch_size: 500, concurrency: 4 }
`;

export async function run(): Promise<TableRow[]> {
  await ensureMysqlPeople();
  const dir = mkdtempSync(join(tmpdir(), 'crm-leads-bench-webhook-'));
  const receiver = spawn(process.execPath, ['-e', RECEIVER], { stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    const [port] = (await once(receiver.stdout!, 'data')) as [Buffer];
    const origin = `http://127.0.0.1:${port.toString().trim()}`;
    const received = async () => Number(await (await fetch(`${origin}/count`)).text());
    writeFileSync(
      join(dir, 'connections.yaml'),
      `bench: { type: mysql, host: "${MYSQL_SERVER.host}", port: ${MYSQL_SERVER.port}, user: "${MYSQL_SERVER.user}", password: "${MYSQL_SERVER.password}", database: ${PEOPLE_DATABASE} }\n`,
    );
    writeFileSync(join(dir, 'job.yaml'), JOB(`${origin}/leads`));
    const cli = (...args: string[]) => [BIN, ...args, '--at', AT, '--connections', 'connections.yaml'];
    const compiled = spawnSync(process.execPath, cli('compile', 'job.yaml'), { cwd: dir, encoding: 'utf8' });
    if (compiled.status !== 0) throw new Error(`compile failed: ${compiled.stderr}`);
    const sql = compiled.stdout
      .split('\n')
      .filter((l) => !l.startsWith('--'))
      .join('\n')
      .trim()
      .replace(/;$/, '');
    writeFileSync(join(dir, 'query.sql'), sql);
    const counted = async <T>(label: string, fn: () => Promise<T>) => {
      const before = await received();
      const m = await fn();
      const n = (await received()) - before;
      if (n !== LEADS) throw new Error(`bench webhook: ${label} delivered ${n} leads, expected ${LEADS}`);
      return m;
    };
    const pairs = await alternate(
      PAIRS,
      () =>
        counted('crm-leads', () => {
          rmSync(join(dir, '.crm-leads'), { recursive: true, force: true });
          return measure(process.execPath, cli('run', 'job.yaml'), { cwd: dir });
        }),
      () =>
        counted('the script', () =>
          measure(process.execPath, [SCRIPT, `${origin}/leads`, join(dir, 'query.sql')], {
            cwd: dir,
            env: { ...process.env, BENCH_DATABASE: PEOPLE_DATABASE, NODE_PATH: '' },
          }),
        ),
      (m) => m.seconds,
    );
    for (const [i, r] of pairs.ratios.entries())
      log(
        `  pair ${i + 1}: crm-leads ${pairs.a[i].seconds.toFixed(2)} s (${Math.round(LEADS / pairs.a[i].seconds).toLocaleString('en')} leads/s, peak RSS ${pairs.a[i].peakMb.toFixed(0)} MB) | script ${pairs.b[i].seconds.toFixed(2)} s (${pairs.b[i].peakMb.toFixed(0)} MB) | throughput ratio ${(1 / r).toFixed(2)}`,
      );
    const ratio = 1 / median(pairs.ratios);
    const rate = LEADS / median(pairs.a.map((m) => m.seconds));
    const row: TableRow = {
      work: 'webhook, 900k leads from MariaDB to a local receiver (leads/s ratio)',
      ratio,
      goal: '>= 0.9x the script, >= 150k leads/s',
      met: ratio >= 0.9 && rate >= 150_000,
      detail: `crm-leads ${Math.round(rate).toLocaleString('en')} leads/s, script ${Math.round(LEADS / median(pairs.b.map((m) => m.seconds))).toLocaleString('en')} leads/s; peak RSS ${Math.max(...pairs.a.map((m) => m.peakMb)).toFixed(0)} MB; pairs ${pairs.ratios.map((r) => (1 / r).toFixed(2)).join(', ')}`,
    };
    log(`${row.work}: ${ratio.toFixed(2)} (${row.goal}) ${row.detail}`);
    return [row];
  } finally {
    receiver.kill();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await run();
