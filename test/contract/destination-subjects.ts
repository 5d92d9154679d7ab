// The destinations that run the contract (destination-contract.ts): each one writes every test's
// leads to a target of its own and reads back what really arrived there.
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ExcelJS from 'exceljs';
import type { ConnectionSpec } from '../../src/config/connection-schema.ts';
import { createTestDatabase, type TestDatabase, type TestDialect } from '../support/databases.ts';
import { leadsOf, startReceiver, type Receiver } from '../support/http-receiver.ts';
import type { ArrivedLead, DestinationSubject } from './destination-contract.ts';
import { CONTRACT_FIELDS } from './destination-leads.ts';

/** CSV files in a fresh folder, one per test; read with an RFC 4180 reader. */
export function csvSubject(): DestinationSubject {
  let dir = '';
  const path = (name: string) => join(dir, `${name}.csv`);
  return {
    name: 'csv',
    async start() {
      dir = mkdtempSync(join(tmpdir(), 'crm-leads-contract-csv-'));
    },
    stop: async () => {},
    connections: () => new Map(),
    prepare: async (name) => ({ type: 'csv', path: path(name), mode: 'replace', bom: true }),
    async read(name) {
      if (!existsSync(path(name))) return [];
      const [header, ...rows] = parseCsv(readFileSync(path(name), 'utf8').replace(/^\uFEFF/, ''));
      if (header.join() !== CONTRACT_FIELDS.join()) throw new Error(`csv header ${header.join()}`);
      return rows.map((values) => ({ key: values[0], values }));
    },
  };
}

/** Excel workbooks in a fresh folder, one per test; read back with exceljs (cells as text). */
export function xlsxSubject(): DestinationSubject {
  let dir = '';
  const path = (name: string) => join(dir, `${name}.xlsx`);
  return {
    name: 'xlsx',
    async start() {
      dir = mkdtempSync(join(tmpdir(), 'crm-leads-contract-xlsx-'));
    },
    stop: async () => {},
    connections: () => new Map(),
    prepare: async (name) => ({ type: 'xlsx', path: path(name) }),
    async read(name) {
      if (!existsSync(path(name))) return [];
      const book = new ExcelJS.Workbook();
      await book.xlsx.readFile(path(name));
      // cell.text: what the cell shows, rich text joined, numbers as written.
      const [header, ...rows] = book.worksheets.flatMap((sheet) =>
        sheet.getRows(1, sheet.rowCount)!.map((row) => CONTRACT_FIELDS.map((_, i) => row.getCell(i + 1).text)),
      );
      if (header.join() !== CONTRACT_FIELDS.join()) throw new Error(`xlsx header ${header.join()}`);
      return rows.map((values) => ({ key: values[0], values }));
    },
  };
}

/** A real local HTTP receiver; each test posts to its own path. */
export function webhookSubject(): DestinationSubject {
  let receiver: Receiver;
  return {
    name: 'webhook',
    async start() {
      receiver = await startReceiver(() => ({ status: 200, delayMs: 5 }));
    },
    stop: () => receiver.close(),
    connections: () => new Map(),
    prepare: async (name) => ({
      type: 'webhook',
      url: receiver.url.replace(/\/leads$/, `/${name}`),
      headers: {},
      batch_size: 5,
      concurrency: 2,
      timeout: 10,
      max_retries: 1,
    }),
    async read(name) {
      return receiver.acknowledged
        .filter((r) => r.path === `/${name}`)
        .flatMap((r) =>
          leadsOf(r).map((l) => ({ key: l.key, values: CONTRACT_FIELDS.map((f) => String(l[f])) }) as ArrivedLead),
        );
    },
  };
}

/** A CRM table per test on a real database of the dialect (upsert on (job, user_id)). */
export function tableSubject(dialect: TestDialect): DestinationSubject {
  let db: TestDatabase;
  const table = (name: string) => `contract_${name}`;
  return {
    name: `table on ${dialect}`,
    async start() {
      db = await createTestDatabase(dialect, `contract_dest_${dialect}`);
    },
    stop: () => db.drop(),
    connections: () => new Map<string, ConnectionSpec>([['crm', db.connection]]),
    async prepare(name) {
      if (!(await db.knex.schema.hasTable(table(name))))
        await db.knex.schema.createTable(table(name), (t) => {
          t.bigInteger('user_id').notNullable();
          t.string('name', 100);
          t.string('phone', 20);
          for (const c of ['job', 'run_id', 'channel', 'delivered_at']) t.string(c, 64);
          t.unique(['job', 'user_id']);
        });
      return { type: 'table', connection: 'crm', table: table(name), mode: 'upsert', batch_size: 5 };
    },
    async read(name) {
      const rows = await db.knex(table(name)).select('user_id', 'name', 'phone');
      return rows.map((r) => ({ key: String(r.user_id), values: [String(r.user_id), r.name, r.phone] }));
    },
  };
}

/** RFC 4180 records (quoted fields with "" and line breaks inside), for reading the files back. */
function parseCsv(text: string): string[][] {
  const records: string[][] = [];
  let field = '';
  let record: string[] = [];
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted && c === '"' && text[i + 1] === '"') {
      field += '"';
      i++;
    } else if (quoted) {
      if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      record.push(field);
      field = '';
    } else if (c === '\r' && text[i + 1] === '\n') {
      records.push([...record, field]);
      record = [];
      field = '';
      i++;
    } else field += c;
  }
  if (field !== '' || record.length > 0) records.push([...record, field]);
  return records;
}
