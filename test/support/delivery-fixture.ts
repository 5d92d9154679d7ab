// A workspace for delivery tests run through the real CLI: an SQLite warehouse of N people
// (user_id 1..N, ordered by score = user_id), a connections file, and job files that deliver
// to a webhook (the test's receiver), a CRM table, or a CSV. The ledger is the default
// .crm-leads/state.db in the workspace unless a test passes --state.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BIN, type CliResult } from './cli.ts';
import { createTestDatabase, loadFixture, type TestDatabase } from './databases.ts';
import { leadsOf, type ReceivedRequest } from './http-receiver.ts';

export interface DeliveryWorkspace {
  dir: string;
  warehouse: TestDatabase;
  /** Writes jobs/<name>.yaml and returns its path relative to dir. */
  writeJob(name: string, yaml: string): string;
  /** Adds connections (YAML lines `name: { … }`) beside the warehouse `wh`. */
  addConnections(lines: string[]): void;
  close(): Promise<void>;
}

export async function deliveryWorkspace(name: string, people: number): Promise<DeliveryWorkspace> {
  const warehouse = await createTestDatabase('sqlite', name);
  const rows = Array.from({ length: people }, (_, i) => ({
    user_id: i + 1,
    name: `person ${i + 1}`,
    phone: `1380000${String(i + 1).padStart(4, '0')}`,
    score: i + 1,
  }));
  await loadFixture(warehouse, [
    { name: 'people', columns: { user_id: 'bigInteger', name: 'string', phone: 'string', score: 'integer' }, rows },
  ]);
  const dir = mkdtempSync(join(tmpdir(), `crm-leads-${name}-`));
  const connections = [`wh: ${warehouse.yaml}`];
  const writeConnections = () => writeFileSync(join(dir, 'connections.yaml'), connections.join('\n') + '\n');
  writeConnections();
  return {
    dir,
    warehouse,
    writeJob(jobName, yaml) {
      const path = `${jobName}.yaml`;
      writeFileSync(join(dir, path), yaml);
      return path;
    },
    addConnections(lines) {
      connections.push(...lines);
      writeConnections();
    },
    close: () => warehouse.drop(),
  };
}

export interface WebhookJobOptions {
  name: string;
  limit?: number;
  /** The exclude.delivered value as YAML, e.g. `7d` or `{ within: 7d, scope: all }`. */
  delivered?: string;
  batchSize?: number;
  concurrency?: number;
  maxRetries?: number;
  timeout?: string;
  /** More destinations, as YAML list items. */
  extraDestinations?: string[];
}

/** A job delivering people by score to the webhook at $CRM_WEBHOOK_URL (signed with $CRM_WEBHOOK_SECRET). */
export function webhookJob(o: WebhookJobOptions): string {
  return (
    [
      `name: ${o.name}`,
      'source: wh',
      'audience: { table: people, key: user_id }',
      o.delivered ? `exclude: { delivered: ${o.delivered} }` : '',
      'lead:',
      '  fields: [user_id, name, phone]',
      '  order_by: { score: asc }',
      o.limit ? `  limit: ${o.limit}` : '',
      '  channel: outbound_call',
      'destinations:',
      '  - type: webhook',
      '    url: ${CRM_WEBHOOK_URL}',
      '    secret: ${CRM_WEBHOOK_SECRET}',
      `    batch_size: ${o.batchSize ?? 10}`,
      `    concurrency: ${o.concurrency ?? 2}`,
      `    max_retries: ${o.maxRetries ?? 1}`,
      o.timeout ? `    timeout: ${o.timeout}` : '',
      ...(o.extraDestinations ?? []),
    ]
      .filter(Boolean)
      .join('\n') + '\n'
  );
}

export const WEBHOOK_SECRET = 'whsec_delivery_tests_4f1c';

export const webhookEnv = (url: string): NodeJS.ProcessEnv => ({
  CRM_WEBHOOK_URL: url,
  CRM_WEBHOOK_SECRET: WEBHOOK_SECRET,
});

/** Person keys of the leads the receiver acknowledged (2xx), in arrival order. */
export function acknowledgedKeys(requests: ReceivedRequest[]): string[] {
  return requests.filter((r) => r.status !== undefined && r.status < 300).flatMap((r) => leadsOf(r).map((l) => l.key));
}

export const range = (from: number, to: number): string[] =>
  Array.from({ length: to - from + 1 }, (_, i) => String(from + i));

export interface SpawnedCli {
  child: ChildProcess;
  /** What it wrote on stderr so far. */
  stderr(): string;
  /** Resolves when the child exits, with its output and the last stdout line as JSON. */
  done: Promise<CliResult>;
}

/** The real CLI in a child process that the test can watch and kill (kill -9 tests). */
export function spawnCli(args: string[], options: { cwd: string; env?: NodeJS.ProcessEnv }): SpawnedCli {
  const child = spawn(process.execPath, [BIN, ...args], {
    cwd: options.cwd,
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d) => (stdout += d));
  child.stderr!.on('data', (d) => (stderr += d));
  const done = new Promise<CliResult>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => {
      let summary: Record<string, unknown> | undefined;
      try {
        summary = JSON.parse(stdout.trim().split('\n').pop() ?? '');
      } catch {
        summary = undefined;
      }
      resolve({ code, stdout, stderr, summary });
    });
  });
  return { child, done, stderr: () => stderr };
}

/** Polls until `condition` holds, or fails after timeoutMs. */
export async function until(condition: () => boolean, timeoutMs = 30_000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
