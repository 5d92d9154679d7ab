// Start-up: `crm-leads validate` and the quick-start run (examples/quickstart.yaml on the
// embedded demo warehouse, CSV out, run ledger on) against `node -e 0`, interleaved, ten
// rounds; the ratio is the median of the per-round ratios. Goals: <= 2x and <= 3x.
//
//   npm run bench -- startup        BENCH_ROUNDS=N (default 10)
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { log, measure, median, type TableRow } from './lib/measure.ts';

const BIN = fileURLToPath(new URL('../bin/crm-leads.js', import.meta.url));
const EXAMPLES = fileURLToPath(new URL('../examples/', import.meta.url));
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 10);

export async function run(): Promise<TableRow[]> {
  const dir = mkdtempSync(join(tmpdir(), 'crm-leads-bench-startup-'));
  try {
    for (const f of ['quickstart.yaml', 'connections.yaml', 'demo.db']) cpSync(join(EXAMPLES, f), join(dir, f));
    const node = () => measure(process.execPath, ['-e', '0'], { cwd: dir });
    const validate = () => measure(process.execPath, [BIN, 'validate', 'quickstart.yaml'], { cwd: dir });
    const quickstart = () => {
      rmSync(join(dir, '.crm-leads'), { recursive: true, force: true });
      return measure(process.execPath, [BIN, 'run', 'quickstart.yaml', '--at', '2026-11-23T09:00:00'], { cwd: dir });
    };
    const version = () => measure(process.execPath, [BIN, '--version'], { cwd: dir });
    const times: Record<string, number[]> = { node: [], validate: [], quickstart: [], version: [] };
    const ratios: Record<string, number[]> = { validate: [], quickstart: [], version: [] };
    const rss: Record<string, number> = { node: 0, validate: 0, quickstart: 0, version: 0 };
    for (let i = 0; i < ROUNDS; i++) {
      const base = await node();
      times.node.push(base.seconds);
      rss.node = Math.max(rss.node, base.peakMb);
      for (const [name, fn] of [
        ['validate', validate],
        ['quickstart', quickstart],
        ['version', version],
      ] as const) {
        const m = await fn();
        times[name].push(m.seconds);
        rss[name] = Math.max(rss[name], m.peakMb);
        ratios[name].push(m.seconds / base.seconds);
      }
    }
    const ms = (xs: number[]) => `${(median(xs) * 1000).toFixed(0)} ms`;
    log(
      `node -e 0 ${ms(times.node)}; --version ${ms(times.version)}; validate ${ms(times.validate)}; quick-start run ${ms(times.quickstart)} (medians of ${ROUNDS})`,
    );
    const row = (name: 'validate' | 'quickstart' | 'version', label: string, goal: number): TableRow => {
      const ratio = median(ratios[name]);
      return {
        work: `start-up: ${label} ÷ node -e 0`,
        ratio,
        goal: `<= ${goal}x`,
        met: ratio <= goal,
        detail: `${ms(times[name])} vs ${ms(times.node)}; peak RSS ${rss[name].toFixed(0)} MB (node -e 0: ${rss.node.toFixed(0)} MB)`,
      };
    };
    const rows = [
      row('validate', '`validate`', 2),
      row('quickstart', 'quick-start run', 3),
      row('version', '`--version`', 2),
    ];
    for (const r of rows) log(`${r.work}: ${r.ratio!.toFixed(2)} (${r.goal}) ${r.detail}`);
    return rows;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await run();
