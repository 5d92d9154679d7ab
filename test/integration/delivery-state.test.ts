// The ledger's schema is created on first use, once, even when several workers open a fresh
// shared ledger at the same moment (SQLite file, MariaDB, PostgreSQL).
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { SCHEMA_VERSION, TABLES } from '../../src/state/schema.ts';
import { resolveStateLocation } from '../../src/state/state-location.ts';
import { openStateStore } from '../../src/state/state-store.ts';
import {
  createTestDatabase,
  testDatabaseName,
  DIALECTS,
  MYSQL,
  POSTGRES,
  type TestDatabase,
} from '../support/databases.ts';

const STATE_STORE = fileURLToPath(new URL('../../src/state/state-store.ts', import.meta.url));
const created: TestDatabase[] = [];
afterAll(async () => {
  for (const db of created) await db.drop();
});

async function stateUrl(dialect: (typeof DIALECTS)[number]): Promise<string> {
  if (dialect === 'sqlite') return join(mkdtempSync(join(tmpdir(), 'crm-leads-state-')), 'nested', 'state.db');
  const db = await createTestDatabase(dialect, 'delivery_state');
  created.push(db);
  const s = dialect === 'mysql' ? MYSQL : POSTGRES;
  return `${dialect}://${s.user}${s.password ? `:${encodeURIComponent(s.password)}` : ''}@${s.host}:${s.port}/${testDatabaseName('delivery_state')}`;
}

// A worker: another process opening the ledger, as several `crm-leads run` would.
function openInChild(url: string): Promise<number | null> {
  const code = `import(${JSON.stringify(STATE_STORE)}).then(async (m) => { const s = await m.openStateStore(${JSON.stringify(url)}); await s.close(); })`;
  const child = spawn(process.execPath, ['--import', 'tsx', '-e', code], { stdio: ['ignore', 'ignore', 'inherit'] });
  return new Promise((resolve) => child.on('exit', resolve));
}

describe.each(DIALECTS)('the ledger on %s', (dialect) => {
  it('is migrated once when workers open a fresh one at the same time', async () => {
    const url = await stateUrl(dialect);
    expect(await Promise.all([1, 2, 3].map(() => openInChild(url)))).toEqual([0, 0, 0]);
    // In one process (the scheduler's concurrent runs) opens share one connection per file.
    const stores = await Promise.all([1, 2, 3].map(() => openStateStore(url)));
    try {
      const k = stores[0].knex;
      expect(await k(TABLES.version).select('version')).toEqual([{ version: SCHEMA_VERSION }]);
      for (const table of Object.values(TABLES)) expect(await k.schema.hasTable(table)).toBe(true);
      // Opening an up-to-date ledger again changes nothing.
      const again = await openStateStore(url);
      expect(await again.knex(TABLES.version).select('version')).toEqual([{ version: SCHEMA_VERSION }]);
      await again.close();
    } finally {
      await Promise.all(stores.map((s) => s.close()));
    }
  });
});

describe('state locations', () => {
  it('reads paths, sqlite: URLs, mysql:// and postgres:// URLs, and hides passwords', () => {
    expect(resolveStateLocation(undefined, {}, '/w')).toMatchObject({
      dialect: 'sqlite',
      file: '/w/.crm-leads/state.db',
    });
    expect(resolveStateLocation(undefined, { CRM_LEADS_STATE: 'ledger.db' }, '/w')).toMatchObject({
      dialect: 'sqlite',
      file: '/w/ledger.db',
    });
    expect(resolveStateLocation('sqlite:///var/lib/crm/state.db', {}, '/w')).toMatchObject({
      dialect: 'sqlite',
      file: '/var/lib/crm/state.db',
    });
    expect(resolveStateLocation('mysql://crm:s3cr3t@db:3307/ledger', {}, '/w')).toMatchObject({
      dialect: 'mysql',
      display: 'mysql://crm:***@db:3307/ledger',
    });
    expect(resolveStateLocation('postgresql://crm:s3cr3t@db/ledger', {}, '/w')).toMatchObject({
      dialect: 'postgres',
      display: 'postgresql://crm:***@db/ledger',
    });
    expect(() => resolveStateLocation('redis://db', {}, '/w')).toThrow(/not a state location/);
  });
});
