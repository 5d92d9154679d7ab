// Table destination: leads written into an existing CRM table, one transaction per batch, so a
// batch is acknowledged (and recorded in the ledger) only once it committed.
//
// Columns: every lead field, the person key in a column named like audience.key (the same
// column when the lead fields include the key, as they usually do), and job, run_id, channel,
// delivered_at (UTC). `upsert` updates the row with the same (job, person key): it needs a
// unique index on exactly those two columns, checked before any row is written. `insert`
// appends; after a crash, the batch in flight may be written twice (use upsert to avoid it).
//
// In named parts: table-columns.ts checks the table at open, the batcher cuts batch_size
// batches, table-writer.ts commits each, the results ledger counts them for the summary.
import type { Knex } from 'knex';
import type { Connections } from '../config/load-connections.ts';
import type { TableDestinationSpec } from '../config/job-schema.ts';
import { RunError } from '../errors.ts';
import { batcher } from './batcher.ts';
import type { Destination, DestinationSummary, Lead } from './destination.ts';
import { resultsLedger } from './results-ledger.ts';
import { firstLine, tableColumns } from './table-columns.ts';
import { tableKnex } from './table-connection.ts';
import { tableWriter, type TableWriter } from './table-writer.ts';

export { RUN_COLUMNS } from './table-columns.ts';

/**
 * The table destination of a job's `type: table` entry.
 * open() throws RunError (closing its connection) when the connection is unknown or the table
 * cannot take the leads; write()/flush() throw DestinationStoppedError or RunError when the
 * database fails for another reason than a refused value.
 */
export function tableDestination(
  spec: TableDestinationSpec,
  connections: Connections,
): Destination & { target: string } {
  const target = `${spec.connection}.${spec.table}`;
  const batches = batcher(spec.batch_size);
  const ledger = resultsLedger();
  let knex: Knex | undefined;
  let writer: TableWriter;

  async function commit(leads: Lead[]): Promise<void> {
    const result = await writer.commit(leads);
    ledger.delivered(result.delivered);
    for (const { lead, error } of result.failed) ledger.failed([lead], error);
  }

  return {
    type: 'table',
    target,
    deliversOnClose: false,
    batchSize: spec.batch_size,
    async open(ctx) {
      const connection = connections.byName.get(spec.connection);
      if (!connection) throw new RunError(`table ${target}: unknown connection ${spec.connection}`);
      const opened = tableKnex(spec.connection, connection);
      knex = opened.knex;
      try {
        const columns = await tableColumns(opened.knex, opened.dialect, spec, ctx);
        writer = tableWriter({ knex: opened.knex, dialect: opened.dialect, spec, ctx, ...columns });
      } catch (err) {
        await knex.destroy().catch(() => {});
        knex = undefined;
        throw err instanceof RunError ? err : new RunError(`table ${target}: ${firstLine(err)}`, { cause: err });
      }
    },
    async write(leads) {
      for (const lead of leads) {
        const full = batches.add(lead);
        if (full) await commit(full);
      }
      return ledger.take();
    },
    async flush() {
      const rest = batches.rest();
      if (rest.length > 0) await commit(rest);
      return ledger.take();
    },
    async close(): Promise<DestinationSummary> {
      await knex?.destroy().catch(() => {});
      return { type: 'table', target, ...ledger.counts() };
    },
  };
}
