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
