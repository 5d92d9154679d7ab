// The registry: the one module above every engine. Engines are imported lazily, so a run
// loads only its own driver; engines import their shared helpers from warehouse.ts below.
import { type ConnectionSpec, DEFAULT_READ_TIMEOUT } from '../config/connection-schema.ts';
import { parseDuration } from '../config/duration.ts';
import { keyFirst } from './key-first.ts';
import { guardWarehouse } from './lost-connection.ts';
import type { SessionZone, Warehouse } from './warehouse.ts';

/**
 * Opens the warehouse a connection names; with `zone`, its session reads time in the job's zone
 * (Warehouse.setTimeZone).
 * @throws RunError when the engine's optional driver package is missing, the connection fails
 * or the server refuses the time zone.
 */
export async function openWarehouse(name: string, spec: ConnectionSpec, zone?: SessionZone): Promise<Warehouse> {
  const warehouse = keyFirst(guardWarehouse(name, await openEngine(name, spec), readTimeoutMs(spec)));
  if (zone && warehouse.setTimeZone)
    try {
      await warehouse.setTimeZone(zone);
    } catch (err) {
      await warehouse.close();
      throw err;
    }
  return warehouse;
}

/**
 * The read_timeout the guard applies to every wait for the next rows (default 30m). None for
 * SQLite, which is embedded and cannot go silent, nor for Hive, whose time to the first row is
 * the query's run time (query_timeout): Hive bounds each call to HiveServer2 by read_timeout itself.
 */
function readTimeoutMs(spec: ConnectionSpec): number | undefined {
  if (spec.type === 'sqlite' || spec.type === 'hive') return undefined;
  return parseDuration(spec.read_timeout ?? DEFAULT_READ_TIMEOUT)! * 1000;
}

async function openEngine(name: string, spec: ConnectionSpec): Promise<Warehouse> {
  switch (spec.type) {
    case 'sqlite':
      return (await import('./sqlite.ts')).openSqlite(name, spec);
    case 'mysql':
    case 'mariadb':
      return (await import('./mysql.ts')).openMysql(name, spec);
    case 'postgres':
    case 'postgresql':
      return (await import('./postgres.ts')).openPostgres(name, spec);
    case 'hive':
      return (await import('./hive.ts')).openHive(name, spec);
    case 'oracle':
      return (await import('./oracle.ts')).openOracle(name, spec);
  }
}
