// A HiveServer2 stand-in for tests: real TCLIService Thrift (binary or HTTP, NOSASL or SASL PLAIN)
// in front of MariaDB, so the unmodified hive-driver client runs real HiveQL and streams rows.
import { TCLIService } from './thrift-runtime.ts';
import { MariaDbEngine, mariaDbConfigFromEnv } from './mariadb.ts';
import { HiveService } from './service-handler.ts';
import { listenBinary } from './binary-transport.ts';
import { listenHttp } from './http-transport.ts';

export { HIVEQL_REWRITES } from './rewrites.ts';
export { DEFAULT_HTTP_PATH } from './http-transport.ts';

export interface HiveTestServerOptions {
  database: string; // MariaDB database the statements run in (the Hive "database")
  transport?: 'binary' | 'http'; // binary = Thrift over TCP; http = Thrift over HTTP POST at '/cliservice'
  auth?: 'nosasl' | 'plain'; // binary only: raw Thrift, or SASL PLAIN then framed Thrift
  users?: Record<string, string>; // PLAIN (binary) and HTTP Basic credentials; omitted = accept anyone
  queryDelayMs?: number; // operations report RUNNING at least this long
}

export interface HiveTestServer {
  port: number;
  statements: string[]; // every ExecuteStatement text received, in order
  sessionsOpen(): number; // sessions currently open
  cancelled: number; // count of CancelOperation calls
  close(): Promise<void>;
}

export async function startHiveTestServer(options: HiveTestServerOptions): Promise<HiveTestServer> {
  const engine = new MariaDbEngine(mariaDbConfigFromEnv());
  // Fail at startup, not on the first query, when MariaDB or the database is missing.
  const exists = await engine.databaseExists(options.database).catch(async (error: Error) => {
    await engine.end().catch(() => undefined);
    throw new Error(`Hive test server: MariaDB is unreachable (${error.message})`);
  });
  if (!exists) {
    await engine.end();
    throw new Error(`Hive test server: MariaDB database ${options.database} does not exist`);
  }

  const service = new HiveService({ database: options.database, engine, queryDelayMs: options.queryDelayMs ?? 0 });
  const processor = new TCLIService.Processor(service.processorHandler());
  const listener =
    options.transport === 'http'
      ? await listenHttp(processor, { users: options.users })
      : await listenBinary(processor, { auth: options.auth ?? 'nosasl', users: options.users });

  let closing: Promise<void> | null = null;
  return {
    port: listener.port,
    statements: service.statements,
    sessionsOpen: () => service.sessionsOpen(),
    get cancelled() {
      return service.cancelled;
    },
    close: () => {
      closing ??= (async () => {
        await listener.close();
        await service.closeAll();
        await engine.end();
      })();
      return closing;
    },
  };
}
