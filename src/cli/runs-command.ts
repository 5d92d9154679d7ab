// `crm-leads runs [--job NAME] [--limit N] [--json]` lists runs from the ledger, newest first;
// `crm-leads runs show RUN_ID` shows one run with its counts, outputs and failed leads.
import { RunError, SpecError } from '../errors.ts';
import { listFailures } from '../state/deliveries.ts';
import { listHolds } from '../state/holds.ts';
import { getRun, listRuns, type RunRecord } from '../state/runs.ts';
import { withExistingLedger } from '../run/run-ledger.ts';
import { resolveStateLocation } from '../state/state-location.ts';
import { handleError, printErr, printOut, printSummary } from './output.ts';

export interface RunsOptions {
  job?: string;
  limit?: string;
  json?: boolean;
  state?: string;
}

const FAILURES_SHOWN = 20;

export async function runsCommand(opts: RunsOptions): Promise<void> {
  try {
    const limit = parseLimit(opts.limit);
    const runs = await withExistingLedger({ state: opts.state }, async (store) =>
      store ? listRuns(store, { job: opts.job, limit }) : [],
    );
    if (opts.json) return printSummary(runs.map(runJson));
    if (runs.length === 0)
      return printErr(`no runs${opts.job ? ` of job ${opts.job}` : ''} in ${resolveStateLocation(opts.state).display}`);
    const rows = runs.map((r) => [
      r.id,
      r.job + (r.shard ? `#${r.shard}` : ''),
      r.at,
      r.status,
      String(r.leads),
      String(r.delivered),
      String(r.notDelivered),
      iso(r.startedMs),
      seconds(r),
    ]);
    printTable(['RUN', 'JOB', 'AT', 'STATUS', 'LEADS', 'DELIVERED', 'NOT DELIVERED', 'STARTED', 'SECONDS'], rows);
  } catch (err) {
    handleError(err);
  }
}

export async function runsShowCommand(runId: string, opts: Pick<RunsOptions, 'json' | 'state'>): Promise<void> {
  try {
    await withExistingLedger({ state: opts.state }, async (store) => {
      const run = store ? await getRun(store, runId) : undefined;
      if (!store || !run)
        throw new RunError(
          `no run ${runId} in ${resolveStateLocation(opts.state).display} (crm-leads runs lists them)`,
        );
      const { total, failures } = await listFailures(store, runId, opts.json ? 1000 : FAILURES_SHOWN);
      // Leads of the run's job held in quiet hours (issue 12), waiting for the next run after they end.
      const held = (await listHolds(store, run.job)).map((h) => ({
        person_key: h.key,
        channel: h.channel,
        address: h.address,
        held_at: iso(h.heldAtMs),
        held_by_run: h.runId,
      }));
      if (opts.json) return printSummary({ ...runJson(run), failures_total: total, failures, held });
      describeRun(run);
      if (total > 0) {
        printOut(`failures (${total}${total > failures.length ? `, first ${failures.length}` : ''}):`);
        for (const f of failures) printOut(`  ${f.destination}  ${f.person_key}  ${f.error}`);
      }
      if (held.length > 0) {
        printOut(
          `held in quiet hours (${held.length}${held.length > FAILURES_SHOWN ? `, first ${FAILURES_SHOWN}` : ''}):`,
        );
        for (const h of held.slice(0, FAILURES_SHOWN))
          printOut(`  ${h.person_key}  ${h.channel}  ${h.address ?? '-'}  since ${h.held_at} (run ${h.held_by_run})`);
      }
    });
  } catch (err) {
    handleError(err);
  }
}

function describeRun(r: RunRecord): void {
  const lines: [string, string][] = [
    ['run', r.id],
    ['job', r.job + (r.shard ? ` (shard ${r.shard})` : '')],
    ['at', r.at],
    ['status', r.status],
    ['started', iso(r.startedMs)],
    ['finished', r.finishedMs ? `${iso(r.finishedMs)} (${seconds(r)}s)` : '-'],
    ['host', `${r.host ?? '?'} pid ${r.pid ?? '?'}`],
    ['leads', String(r.leads)],
    ['delivered', String(r.delivered)],
    ['not delivered', String(r.notDelivered)],
  ];
  for (const [k, v] of lines) printOut(`${k.padEnd(14)}${v}`);
  const counts = Object.entries(r.counts).filter(([, v]) => v !== 0 && v !== false);
  if (counts.length) printOut(`${'counts'.padEnd(14)}${counts.map(([k, v]) => `${k} ${v}`).join(', ')}`);
  for (const o of r.outputs as {
    type: string;
    target: string;
    delivered: number;
    failed: number;
    already_delivered?: number;
  }[]) {
    printOut(
      `${'output'.padEnd(14)}${o.type} ${o.target}: ${o.delivered} delivered${o.already_delivered ? `, ${o.already_delivered} already delivered earlier` : ''}${o.failed ? `, ${o.failed} NOT delivered` : ''}`,
    );
  }
  if (r.error) printOut(`${'error'.padEnd(14)}${r.error}`);
}

function runJson(r: RunRecord) {
  return {
    run_id: r.id,
    job: r.job,
    shard: r.shard || undefined,
    at: r.at,
    status: r.status,
    leads: r.leads,
    delivered: r.delivered,
    not_delivered: r.notDelivered,
    counts: r.counts,
    outputs: r.outputs,
    error: r.error,
    host: r.host,
    pid: r.pid,
    started: iso(r.startedMs),
    finished: r.finishedMs ? iso(r.finishedMs) : undefined,
  };
}

function printTable(header: string[], rows: string[][]): void {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  for (const r of [header, ...rows])
    printOut(
      r
        .map((c, i) => c.padEnd(widths[i]))
        .join('  ')
        .trimEnd(),
    );
}

function parseLimit(text: string | undefined): number {
  if (text === undefined) return 20;
  if (!/^[1-9]\d*$/.test(text))
    throw new SpecError([{ file: '--limit', message: `"${text}" is not a positive whole number` }]);
  return Number(text);
}

const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
const seconds = (r: RunRecord) => (r.finishedMs ? ((r.finishedMs - r.startedMs) / 1000).toFixed(1) : '-');
