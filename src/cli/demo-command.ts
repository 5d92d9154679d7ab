// `crm-leads demo load <connection>`: the demo warehouse (examples/demo.db) into that
// connection, so that the quick start runs there too. Progress on a terminal; one line per
// table otherwise.
import { findConnectionsFile, loadConnections } from '../config/load-connections.ts';
import { SpecError } from '../errors.ts';
import { handleError, printErr } from './output.ts';
import { count } from '../plural.ts';

export async function demoLoadCommand(name: string, opts: { connections?: string }): Promise<void> {
  try {
    const connections = loadConnections(findConnectionsFile(opts.connections, undefined));
    const spec = connections.byName.get(name);
    if (!spec) {
      const known = [...connections.byName.keys()].join(', ') || 'none';
      throw new SpecError([{ file: connections.file, message: `unknown connection "${name}" (known: ${known})` }]);
    }
    const { loadDemo } = await import('../demo/demo-load.ts');
    const tty = process.stderr.isTTY === true;
    let open = false;
    const started = Date.now();
    const result = await loadDemo(name, spec, (p) => {
      if (tty) {
        process.stderr.write(`\rdemo load ${name}: ${p.table} ${p.rows}/${p.total}      `);
        open = true;
      }
      if (p.rows === p.total) {
        if (open) process.stderr.write('\n');
        open = false;
        if (!tty) printErr(`demo load ${name}: ${p.table} ${count(p.total, 'row')}`);
      }
    });
    const seconds = ((Date.now() - started) / 1000).toFixed(1);
    printErr(
      `demo load ${name}: ${count(result.tables, 'table')}, ${count(result.rows, 'row')} in ${seconds}s (other tables untouched)`,
    );
  } catch (err) {
    handleError(err);
  }
}

export interface DemoRespondOptions {
  connections?: string;
  state?: string;
  event: string;
  after: string;
  share: string;
}

/**
 * `crm-leads demo respond <job.yaml>`: a share of the people the job delivered to react (one
 * event each, a little after their delivery) in the demo warehouse of its source. Prints one
 * line with what it wrote and how to run a follow-up after it; exit 2 for bad options.
 */
export async function demoRespondCommand(jobFile: string, opts: DemoRespondOptions): Promise<void> {
  try {
    const { loadInputs } = await import('./load-inputs.ts');
    const { parseDuration } = await import('../config/duration.ts');
    const { openStateStore } = await import('../state/state-store.ts');
    const { demoRespond } = await import('../demo/demo-respond.ts');
    const afterSeconds = parseDuration(opts.after);
    const share = Number(opts.share);
    if (afterSeconds === undefined)
      throw new SpecError([{ file: '--after', message: `"${opts.after}" is not a duration (10m, 1h, 2d)` }]);
    if (!Number.isFinite(share) || share < 0 || share > 100)
      throw new SpecError([{ file: '--share', message: `"${opts.share}" is not a percentage from 0 to 100` }]);
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(opts.event))
      throw new SpecError([{ file: '--event', message: `"${opts.event}" is not an event name (letters, digits, _)` }]);
    const { connections, jobs } = loadInputs([jobFile], opts.connections);
    const job = jobs[0];
    const store = await openStateStore(opts.state);
    try {
      const r = await demoRespond({
        job,
        connection: { name: job.source, spec: connections.byName.get(job.source)! },
        store,
        event: opts.event,
        afterSeconds,
        share,
        withinSeconds: 3 * 86_400,
      });
      printErr(
        `demo respond: ${count(r.delivered, 'person')} delivered by ${job.name} in the last 3 days; ` +
          `${r.responded} of them got a ${opts.event} event ${opts.after} after their delivery` +
          (r.lastEvent ? ` (the last at ${r.lastEvent} ${job.timezone}): run follow-ups with --at after it` : ''),
      );
    } finally {
      await store.close();
    }
  } catch (err) {
    handleError(err);
  }
}
