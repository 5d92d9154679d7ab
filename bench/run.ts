// `npm run bench [-- CASE...]`: runs the named benchmark cases, or the cases of the issue-15
// table when none is named, then prints that table: every row a ratio against the alternative
// measured in the same run, with the machine's load. A case is a module in this folder
// exporting `run()`, returning its table rows (or nothing); cases are imported lazily so one
// case's drivers never load for another.
import { cpus } from 'node:os';
import { loadAverage, log, type TableRow } from './lib/measure.ts';

type Case = () => Promise<{ run(): Promise<unknown> }>;

const TABLE_CASES: Record<string, Case> = {
  sequences: () => import('./sequences.ts'),
  export: () => import('./export.ts'),
  'webhook-compare': () => import('./webhook-compare.ts'),
  startup: () => import('./startup.ts'),
};
// Older, narrower cases, run only when named.
const OTHER_CASES: Record<string, Case> = {
  // The offline export's old name (issue 2's bench, referred to by issue 16): now `export`,
  // which measures the same MariaDB export and adds PostgreSQL and SQLite.
  offline: () => import('./export.ts'),
  trigger: () => import('./trigger.ts'),
  'follow-up': () => import('./follow-up.ts'),
  webhook: () => import('./webhook.ts'),
  watch: () => import('./watch.ts'),
  xlsx: () => import('./xlsx.ts'),
};
const CASES = { ...TABLE_CASES, ...OTHER_CASES };

async function main(names: string[]): Promise<void> {
  const unknown = names.filter((n) => !(n in CASES));
  if (unknown.length > 0) {
    process.stderr.write(`unknown bench case ${unknown.join(', ')}; known: ${Object.keys(CASES).join(', ')}\n`);
    process.exitCode = 2;
    return;
  }
  const rows: TableRow[] = [];
  const loads: string[] = [loadAverage()];
  const started = new Date();
  for (const name of names.length > 0 ? names : Object.keys(TABLE_CASES)) {
    log(`\n=== bench: ${name} (load average ${loadAverage()}) ===`);
    rows.push(...(((await (await CASES[name]()).run()) as TableRow[] | undefined) ?? []));
    loads.push(loadAverage());
  }
  if (rows.length === 0) return;
  log(
    `\n| work | crm-leads ÷ alternative | goal | met | measured |\n|---|---|---|---|---|\n${rows
      .map(
        (r) =>
          `| ${r.work} | ${r.ratio === undefined ? '-' : `${r.ratio.toFixed(2)}x`} | ${r.goal} | ${r.met === undefined ? '-' : r.met ? 'met' : 'MISSED'} | ${r.detail} |`,
      )
      .join('\n')}`,
  );
  log(
    `\n${started.toISOString().slice(0, 16)}Z, ${cpus().length} CPUs, Node ${process.version}; 1-minute load average ${loads.join(' -> ')} (before/after each case)`,
  );
}

await main(process.argv.slice(2));
