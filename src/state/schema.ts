// The ledger's tables, created and migrated on open. Each migration runs once, in order, under
// a database-wide lock so that many workers opening one shared ledger at once migrate it once.
import type { Knex } from 'knex';
import type { StateDialect } from './state-location.ts';

export const TABLES = {
  version: 'crm_leads_schema',
  runs: 'crm_leads_runs',
  deliveries: 'crm_leads_deliveries',
  failures: 'crm_leads_failures',
  locks: 'crm_leads_locks',
  watermarks: 'crm_leads_watermarks',
  watchSent: 'crm_leads_watch_sent',
  touches: 'crm_leads_touches',
  holds: 'crm_leads_holds',
} as const;

const MIGRATIONS: ((schema: Knex.SchemaBuilder) => Knex.SchemaBuilder)[] = [
  (schema) =>
    schema
      .createTable(TABLES.runs, (t) => {
        t.string('id', 64).primary();
        t.string('job', 100).notNullable();
        // '' when the run is not sharded, else 'I/N': shards of one job run side by side.
        t.string('shard', 20).notNullable().defaultTo('');
        t.string('at', 40).notNullable();
        t.bigInteger('at_ms').notNullable();
        t.string('status', 16).notNullable();
        t.integer('leads').notNullable().defaultTo(0);
        t.integer('delivered').notNullable().defaultTo(0);
        t.integer('not_delivered').notNullable().defaultTo(0);
        t.text('counts');
        t.text('outputs');
        t.text('error');
        t.string('host', 255);
        t.integer('pid');
        t.bigInteger('started_ms').notNullable();
        t.bigInteger('finished_ms');
        t.index(['job', 'started_ms']);
        t.index(['started_ms']);
      })
      .createTable(TABLES.deliveries, (t) => {
        // One row per acknowledged batch (see deliveries.ts for why).
        t.bigIncrements('id');
        t.string('job', 100).notNullable();
        // The run's logical time: windows (exclude.delivered) and resumes are measured on it.
        t.bigInteger('at_ms').notNullable();
        t.string('destination', 255).notNullable();
        t.string('channel', 100);
        t.string('run_id', 64).notNullable();
        t.bigInteger('delivered_ms').notNullable();
        // CSV leads are written as pending while the file is being written and confirmed once
        // it is complete; pending rows never count as delivered.
        t.boolean('pending').notNullable().defaultTo(false);
        t.integer('lead_count').notNullable();
        // The person keys, one per line, with a line break before the first and after the last.
        t.text('person_keys', 'mediumtext').notNullable();
        t.index(['job', 'at_ms']);
        t.index(['at_ms']);
        t.index(['run_id']);
      })
      .createTable(TABLES.failures, (t) => {
        t.string('run_id', 64).notNullable();
        t.string('destination', 255).notNullable();
        t.string('person_key', 191).notNullable();
        t.string('error', 500).notNullable();
        t.index(['run_id']);
      })
      .createTable(TABLES.locks, (t) => {
        t.string('name', 150).primary();
        t.string('run_id', 64).notNullable();
        t.string('holder', 255).notNullable();
        t.bigInteger('acquired_ms').notNullable();
        t.bigInteger('expires_ms').notNullable();
      }),
  // `watch` (issue 11): each job's watermark, and what each tick delivered per (destination,
  // person, trigger event time) so that a replayed or retried slice sends nothing twice.
  (schema) =>
    schema
      .createTable(TABLES.watermarks, (t) => {
        t.string('job', 100).primary();
        // The instant (Unix ms) up to which matured trigger events were decided, and the same
        // as the job's naive local time, for people reading the table.
        t.bigInteger('watermark_ms').notNullable();
        t.string('watermark_local', 19).notNullable();
        t.string('run_id', 64);
        t.bigInteger('updated_ms').notNullable();
      })
      .createTable(TABLES.watchSent, (t) => {
        t.string('job', 100).notNullable();
        t.string('destination', 255).notNullable();
        t.string('person_key', 191).notNullable();
        // The trigger event A's time, naive local 'YYYY-MM-DD HH:MM:SS' as the warehouse holds it.
        t.string('trigger_time', 19).notNullable();
        t.string('run_id', 64).notNullable();
        t.bigInteger('sent_ms').notNullable();
        t.primary(['job', 'destination', 'person_key', 'trigger_time']);
        t.index(['job', 'trigger_time']);
      }),
  // Issue 12: claims and touches per person and channel (frequency caps that hold across
  // concurrent jobs), and leads held during quiet hours. See touches.ts and holds.ts.
  (schema) =>
    schema
      .createTable(TABLES.touches, (t) => {
        t.bigIncrements('id');
        t.string('person_key', 191).notNullable();
        // '' when the job names no channel.
        t.string('channel', 100).notNullable();
        t.string('job', 100).notNullable();
        t.string('run_id', 64).notNullable();
        t.bigInteger('at_ms').notNullable();
        // claimed (about to be sent), pending (in a CSV being written), sent (acknowledged).
        t.string('state', 8).notNullable();
        // Wall-clock time of the claim: a sent touch with a later logical time than a run counts
        // for that run only if it was claimed while the run was going (a concurrent run).
        t.bigInteger('claimed_ms').notNullable();
        // Claims and pending rows stop counting after this (a crashed run holds nobody forever).
        t.bigInteger('expires_ms').notNullable();
        t.index(['person_key']);
        t.index(['run_id']);
      })
      .createTable(TABLES.holds, (t) => {
        t.string('job', 100).notNullable();
        t.string('person_key', 191).notNullable();
        t.string('channel', 100).notNullable();
        t.text('address');
        // The lead's field values as JSON, keyed by field name.
        t.text('fields').notNullable();
        // The logical time of the run that first held the lead: `hold` is measured from it.
        t.bigInteger('held_at_ms').notNullable();
        t.string('run_id', 64).notNullable();
        t.primary(['job', 'person_key']);
      }),
];

export const SCHEMA_VERSION = MIGRATIONS.length;

export async function migrate(knex: Knex, dialect: StateDialect): Promise<void> {
  if ((await currentVersion(knex)) >= SCHEMA_VERSION) return;
  await withMigrationLock(knex, dialect, async (db) => {
    // Another worker may have migrated while this one waited for the lock.
    let version = await currentVersion(db);
    if (version === 0 && !(await db.schema.hasTable(TABLES.version))) {
      await db.schema.createTable(TABLES.version, (t) => t.integer('version').notNullable());
      await db(TABLES.version).insert({ version: 0 });
    }
    for (; version < SCHEMA_VERSION; version++) {
      await MIGRATIONS[version](db.schema);
      await db(TABLES.version).update({ version: version + 1 });
    }
  });
}

async function currentVersion(db: Knex): Promise<number> {
  if (!(await db.schema.hasTable(TABLES.version))) return 0;
  const row = await db(TABLES.version).first('version');
  return Number(row?.version ?? 0);
}

async function withMigrationLock(knex: Knex, dialect: StateDialect, fn: (db: Knex) => Promise<void>): Promise<void> {
  if (dialect === 'sqlite') {
    // One pooled connection: BEGIN IMMEDIATE takes SQLite's write lock for the whole migration.
    await knex.raw('BEGIN IMMEDIATE');
    try {
      await fn(knex);
      await knex.raw('COMMIT');
    } catch (err) {
      await knex.raw('ROLLBACK').catch(() => {});
      throw err;
    }
    return;
  }
  if (dialect === 'postgres') {
    // DDL is transactional here: the whole migration commits or none of it does.
    await knex.transaction(async (trx) => {
      await trx.raw('select pg_advisory_xact_lock(?)', [MIGRATION_LOCK_ID]);
      await fn(trx as unknown as Knex);
    });
    return;
  }
  // MySQL DDL commits implicitly: a named lock held on one pinned connection serialises workers.
  const conn = await knex.client.acquireConnection();
  try {
    await knex.raw("select get_lock('crm_leads_migrate', 60)").connection(conn);
    try {
      await fn(knex);
    } finally {
      await knex.raw("select release_lock('crm_leads_migrate')").connection(conn);
    }
  } finally {
    await knex.client.releaseConnection(conn);
  }
}

const MIGRATION_LOCK_ID = 0x63726d6c; // 'crml'
