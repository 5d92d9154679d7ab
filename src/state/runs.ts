// Run records: one row per run, written when it starts (status running) and when it ends.
import { hostname } from 'node:os';
import { redact } from '../secrets.ts';
import { TABLES } from './schema.ts';
import type { StateStore } from './state-store.ts';

export type RunStatus = 'running' | 'ok' | 'partial' | 'failed' | 'interrupted';

export interface RunRecord {
  id: string;
  job: string;
  shard: string;
  at: string;
  atMs: number;
  status: RunStatus;
  leads: number;
  delivered: number;
  notDelivered: number;
  counts: Record<string, unknown>;
  outputs: unknown[];
  error?: string;
  host?: string;
  pid?: number;
  startedMs: number;
  finishedMs?: number;
}

export type RunEnd = Pick<RunRecord, 'leads' | 'delivered' | 'notDelivered' | 'counts' | 'outputs' | 'error'> & {
  status: Exclude<RunStatus, 'running'>;
};

export async function startRun(
  store: StateStore,
  run: { id: string; job: string; shard: string; at: string; atMs: number },
): Promise<void> {
  await store.knex(TABLES.runs).insert({
    id: run.id,
    job: run.job,
    shard: run.shard,
    at: run.at,
    at_ms: run.atMs,
    status: 'running',
    host: hostname().slice(0, 255),
    pid: process.pid,
    started_ms: Date.now(),
  });
}

export async function finishRun(store: StateStore, id: string, end: RunEnd): Promise<void> {
  await store
    .knex(TABLES.runs)
    .where({ id })
    .update({
      status: end.status,
      leads: end.leads,
      delivered: end.delivered,
      not_delivered: end.notDelivered,
      counts: JSON.stringify(end.counts),
      outputs: JSON.stringify(end.outputs),
      // Errors can quote URLs or connection strings: the ledger never stores a secret.
      error: end.error === undefined ? null : redact(end.error).slice(0, 4000),
      finished_ms: Date.now(),
    });
}

/**
 * Runs of this job (and shard) still marked running when a new run holds the lock died
 * without finishing (kill -9, power loss): they are marked interrupted and returned.
 */
export async function markAbandonedRuns(
  store: StateStore,
  job: string,
  shard: string,
): Promise<{ id: string; atMs: number }[]> {
  const dead = (await store.knex(TABLES.runs).select('id', 'at_ms').where({ job, shard, status: 'running' })) as {
    id: string;
    at_ms: number | string;
  }[];
  if (dead.length === 0) return [];
  await store
    .knex(TABLES.runs)
    .whereIn(
      'id',
      dead.map((r) => r.id),
    )
    .andWhere({ status: 'running' })
    .update({
      status: 'interrupted',
      error: 'the process stopped without finishing (killed or crashed); its acknowledged deliveries are kept',
      finished_ms: Date.now(),
    });
  return dead.map((r) => ({ id: r.id, atMs: Number(r.at_ms) }));
}

export async function listRuns(store: StateStore, options: { job?: string; limit: number }): Promise<RunRecord[]> {
  const q = store
    .knex(TABLES.runs)
    .select('*')
    .orderBy('started_ms', 'desc')
    .orderBy('id', 'desc')
    .limit(options.limit);
  if (options.job) q.where({ job: options.job });
  return (await q).map(toRecord);
}

export async function getRun(store: StateStore, id: string): Promise<RunRecord | undefined> {
  const row = await store.knex(TABLES.runs).where({ id }).first();
  return row ? toRecord(row) : undefined;
}

function toRecord(row: Record<string, unknown>): RunRecord {
  const json = <T>(text: unknown, fallback: T): T =>
    typeof text === 'string' && text ? (JSON.parse(text) as T) : fallback;
  return {
    id: String(row.id),
    job: String(row.job),
    shard: String(row.shard ?? ''),
    at: String(row.at),
    atMs: Number(row.at_ms),
    status: row.status as RunStatus,
    leads: Number(row.leads),
    delivered: Number(row.delivered),
    notDelivered: Number(row.not_delivered),
    counts: json(row.counts, {}),
    outputs: json(row.outputs, []),
    error: row.error == null ? undefined : String(row.error),
    host: row.host == null ? undefined : String(row.host),
    pid: row.pid == null ? undefined : Number(row.pid),
    startedMs: Number(row.started_ms),
    finishedMs: row.finished_ms == null ? undefined : Number(row.finished_ms),
  };
}
