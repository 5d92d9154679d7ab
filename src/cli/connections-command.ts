// `crm-leads connections check [NAME…]`: for each connection, connect, run a trivial query and
// report the server version and latency, like `dbt debug`. Human lines on stderr, a JSON
// summary as the last stdout line; exit 1 if any connection fails, 2 for an unknown name.
import { count } from '../plural.ts';
import { EXIT, SpecError } from '../errors.ts';
import { dialectOf, type ConnectionSpec, type Dialect } from '../config/connection-schema.ts';
import { findConnectionsFile, loadConnections } from '../config/load-connections.ts';
import { suggest } from '../config/suggest.ts';
import { openWarehouse } from '../warehouses/open-warehouse.ts';
import type { Warehouse } from '../warehouses/warehouse.ts';
import { handleError, printErr, printSummary, setExit } from './output.ts';

export interface ConnectionCheck {
  name: string;
  type: string;
  ok: boolean;
  version?: string;
  /** Round trip of the trivial query, after connecting. */
  latency_ms?: number;
  connect_ms?: number;
  error?: string;
}

const TRIVIAL_QUERY: Record<Dialect, string> = {
  sqlite: 'select 1',
  mysql: 'select 1',
  postgres: 'select 1',
  hive: 'select 1',
  oracle: 'select 1 from dual',
};

export async function connectionsCheckCommand(names: string[], opts: { connections?: string }): Promise<void> {
  let selected: [string, ConnectionSpec][];
  let file: string;
  try {
    const connections = loadConnections(findConnectionsFile(opts.connections, undefined));
    file = connections.file;
    const known = [...connections.byName.keys()];
    const unknown = names.filter((n) => !connections.byName.has(n));
    if (unknown.length)
      throw new SpecError(
        unknown.map((n) => ({
          file: connections.file,
          message: `no connection named "${n}"${suggest(n, known)} (known: ${known.join(', ') || 'none'})`,
        })),
      );
    selected = names.length ? names.map((n) => [n, connections.byName.get(n)!]) : [...connections.byName.entries()];
  } catch (err) {
    handleError(err);
    return;
  }
  printErr(`checking ${count(selected.length, 'connection')} from ${file}`);
  const results: ConnectionCheck[] = [];
  for (const [name, spec] of selected) {
    const result = await checkConnection(name, spec);
    results.push(result);
    if (result.ok)
      printErr(
        `ok    ${name} (${spec.type}): ${result.version}, ${result.latency_ms} ms (connect ${result.connect_ms} ms)`,
      );
    else printErr(`FAIL  ${name} (${spec.type}): ${result.error}`);
  }
  const failed = results.filter((r) => !r.ok).length;
  printSummary({ connections: results, ok: failed === 0 });
  setExit(failed ? EXIT.failed : EXIT.ok);
}

export async function checkConnection(name: string, spec: ConnectionSpec): Promise<ConnectionCheck> {
  const base = { name, type: spec.type };
  const t0 = performance.now();
  let warehouse: Warehouse | undefined;
  try {
    warehouse = await openWarehouse(name, spec);
  } catch (err) {
    return { ...base, ok: false, error: oneLine(err, name) };
  }
  try {
    const connectMs = round(performance.now() - t0);
    const t1 = performance.now();
    await warehouse.all({ sql: TRIVIAL_QUERY[dialectOf(spec)], bindings: [] });
    const latencyMs = round(performance.now() - t1);
    return { ...base, ok: true, version: await warehouse.version(), latency_ms: latencyMs, connect_ms: connectMs };
  } catch (err) {
    return { ...base, ok: false, error: oneLine(err, name) };
  } finally {
    await warehouse.close().catch(() => {});
  }
}

const round = (ms: number) => Math.round(ms * 10) / 10;
// Driver errors already start with the connection's name; the line above shows it once.
function oneLine(err: unknown, name: string): string {
  const line = ((err as Error)?.message ?? String(err)).split('\n')[0];
  return line.startsWith(`${name}: `) ? line.slice(name.length + 2) : line;
}
