// The registry: the one module above every engine. Engines are imported lazily, so a run
// loads only its own driver; engines import their shared helpers from warehouse.ts below.
import { type ConnectionSpec, DEFAULT_READ_TIMEOUT } from '../config/connection-schema.ts';
import { parseDuration } from '../config/duration.ts';
import { keyFirst } from './key-first.ts';
import { guardWarehouse } from './lost-connection.ts';
import type { Warehouse } from './warehouse.ts';

/**
 * Opens the warehouse a connection names.
 * @throws RunError when the engine's optional driver package is missing or the connection fails.
 */
export async function openWarehouse(name: string, spec: ConnectionSpec): Promise<Warehouse> {
  // Hive bounds each call by its own query_timeout; SQLite is embedded and cannot go silent.
  const readTimeout = 'read_timeout' in spec ? parseDuration(spec.read_timeout ?? DEFAULT_READ_TIMEOUT) : undefined;
  return keyFirst(guardWarehouse(name, await openEngine(name, spec), readTimeout && readTimeout * 1000));
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
