// The warehouses that run the contract (warehouse-contract.ts). Oracle is not among them: no
// Oracle server can run on this machine; its SQL is checked in test/unit/oracle-sql.test.ts and
// test/integration/oracle.test.ts. It joins with one subject and one line once a server runs.
import { connectionSchema, type ConnectionSpec } from '../../src/config/connection-schema.ts';
import { createTestDatabase, type TestDatabase } from '../support/databases.ts';
import { startHiveTestServer, type HiveTestServer } from '../support/hive-server/index.ts';
import type { WarehouseSubject } from './warehouse-contract.ts';

/** SQLite, MariaDB or PostgreSQL read through their own engine. */
export function databaseSubject(dialect: 'sqlite' | 'mysql' | 'postgres'): WarehouseSubject {
  let db: TestDatabase;
  return {
    name: dialect,
    async start() {
      db = await createTestDatabase(dialect, `contract_wh_${dialect}`);
      return db;
    },
    connection: () => db.connection,
    stop: () => db.drop(),
  };
}

/** Hive: the unmodified hive-driver against the HiveServer2 test server, tables on MariaDB. */
export function hiveSubject(): WarehouseSubject {
  let db: TestDatabase;
  let server: HiveTestServer;
  let connection: ConnectionSpec;
  return {
    name: 'hive',
    async start() {
      db = await createTestDatabase('mysql', 'contract_wh_hive');
      const database = String((db.connection as { database: string }).database);
      server = await startHiveTestServer({ database });
      connection = connectionSchema.parse({
        type: 'hive',
        host: '127.0.0.1',
        port: server.port,
        database,
        connect_timeout: '10s',
        fetch_size: 500,
      });
      return db;
    },
    connection: () => connection,
    async stop() {
      await server?.close();
      await db?.drop();
    },
  };
}
