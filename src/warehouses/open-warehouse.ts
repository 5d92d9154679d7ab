// The registry: the one module above every engine. Engines are imported lazily, so a run
// loads only its own driver; engines import their shared helpers from warehouse.ts below.
import type { ConnectionSpec } from '../config/connection-schema.ts';
import type { Warehouse } from './warehouse.ts';

/**
 * Opens the warehouse a connection names.
 * @throws RunError when the engine's optional driver package is missing or the connection fails.
 */
export async function openWarehouse(name: string, spec: ConnectionSpec): Promise<Warehouse> {
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
