// 1,000,000 leads from an SQLite warehouse to an Excel workbook (exceljs streaming writer),
// next to the same leads to CSV: wall time and peak RSS of the whole `crm-leads run`.
// The xlsx path is expected to be slower (zip + XML per cell); memory must stay flat.
//   npm run bench -- xlsx        BENCH_XLSX_LEADS=N (default 1000000)
import { existsSync, mkdirSync, mkdtempSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { log, measure, type TableRow } from './lib/measure.ts';

const BIN = fileURLToPath(new URL('../bin/crm-leads.js', import.meta.url));
const LEADS = Number(process.env.BENCH_XLSX_LEADS ?? 1_000_000);
const WAREHOUSE = join(tmpdir(), 'crm-leads-bench', `xlsx-people-${LEADS}.db`);

// Phones with a leading 0 or +86, 18-character ID numbers, Chinese names: what analysts export.
function ensureWarehouse(): void {
  if (existsSync(WAREHOUSE)) return;
  mkdirSync(join(tmpdir(), 'crm-leads-bench'), { recursive: true });
  rmSync(`${WAREHOUSE}.tmp`, { force: true });
  const db = new Database(`${WAREHOUSE}.tmp`);
  db.exec(
    'CREATE TABLE people (user_id INTEGER PRIMARY KEY, name TEXT, phone TEXT, id_card TEXT, city TEXT, income INTEGER)',
  );
  const insert = db.prepare('INSERT INTO people VALUES (?, ?, ?, ?, ?, ?)');
  const cities = ['北京', '上海', '深圳', '杭州'];
  db.transaction(() => {
    for (let i = 1; i <= LEADS; i++)
      insert.run(
        i,
        `用户${i}`,
        i % 2 ? `0${String(1012345678 + i)}` : `+86138${String(i).padStart(8, '0')}`,
        `1101011990${String(i).padStart(7, '0')}X`,
        cities[i % 4],
        3000 + (i % 60000),
      );
  })();
  db.close();
  renameSync(`${WAREHOUSE}.tmp`, WAREHOUSE); // last: a half-built file is never reused
}

export async function run(): Promise<TableRow[]> {
  ensureWarehouse();
  const dir = mkdtempSync(join(tmpdir(), 'crm-leads-bench-xlsx-'));
  writeFileSync(join(dir, 'connections.yaml'), `wh: { type: sqlite, path: "${WAREHOUSE}" }\n`);
  const job = (destination: string) =>
    `name: bench-xlsx\nsource: wh\ntimezone: Asia/Shanghai\naudience: { table: people }\nlead:\n  fields: { 编号: user_id, 姓名: name, 手机号: phone, 身份证号: id_card, 城市: city, 收入: income }\ndestinations: [ ${destination} ]\n`;
  writeFileSync(join(dir, 'csv.yaml'), job('{ type: csv, path: out/leads.csv }'));
  writeFileSync(join(dir, 'xlsx.yaml'), job('{ type: xlsx, path: out/leads.xlsx, sheet: 线索 }'));
  const runJob = (file: string) =>
    measure(process.execPath, [BIN, 'run', file, '--state', join(dir, 'state.db')], { cwd: dir });
  const csv = await runJob('csv.yaml');
  const xlsx = await runJob('xlsx.yaml');
  const size = (f: string) => (statSync(join(dir, 'out', f)).size / 1e6).toFixed(0);
  const line = (label: string, m: { seconds: number; peakMb: number }, file: string) =>
    `${label}: ${LEADS.toLocaleString('en-US')} leads in ${m.seconds.toFixed(1)} s, peak RSS ${m.peakMb.toFixed(0)} MB, ${size(file)} MB`;
  log(line('csv ', csv, 'leads.csv'));
  log(line('xlsx', xlsx, 'leads.xlsx'));
  rmSync(dir, { recursive: true, force: true });
  return [
    {
      work: `${LEADS.toLocaleString('en-US')} leads to xlsx vs csv (SQLite)`,
      ratio: xlsx.seconds / csv.seconds,
      goal: 'memory flat (peak RSS <= 150 MB)',
      met: xlsx.peakMb <= 150,
      detail: `xlsx ${xlsx.seconds.toFixed(1)} s / ${xlsx.peakMb.toFixed(0)} MB; csv ${csv.seconds.toFixed(1)} s / ${csv.peakMb.toFixed(0)} MB`,
    },
  ];
}
