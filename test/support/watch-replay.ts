// Running the six-hour replay of watch-fixture.ts and reading what the receiver got: shared by
// the replay tests on SQLite, MariaDB, PostgreSQL (watch-replay.test.ts) and Hive (watch-hive.test.ts).
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCli, type CliResult } from './cli.ts';
import { leadsOf, type Receiver } from './http-receiver.ts';
import { FROM, fridgeJob, sequenceJob, UNTIL } from './watch-fixture.ts';

/** Writes fridge-EVERY.yaml and sequence-EVERY.yaml into `dir` for each `every`; returns their paths. */
export function writeReplayJobs(dir: string, everys: readonly string[], url: string): string[] {
  const files: string[] = [];
  for (const every of everys) {
    files.push(join(dir, `fridge-${every}.yaml`), join(dir, `sequence-${every}.yaml`));
    writeFileSync(files.at(-2)!, fridgeJob(`fridge-${every}`, every, url));
    writeFileSync(files.at(-1)!, sequenceJob(`sequence-${every}`, every, url));
  }
  return files;
}

/** `crm-leads watch FILES --from FROM --until UNTIL` with dir's connections.yaml and state.db, JSON logs. */
export function replayWatch(dir: string, files: string[], timeoutMs: number): Promise<CliResult> {
  const paths = ['--connections', join(dir, 'connections.yaml'), '--state', join(dir, 'state.db')];
  return runCli(['watch', ...files, ...paths, '--from', FROM, '--until', UNTIL, '--log-format', 'json'], {
    cwd: dir,
    timeoutMs,
  });
}

/**
 * person key -> trigger times (viewed_at) received, per job, from the acknowledged requests.
 * `seconds`: cut each time to 'YYYY-MM-DD HH:MM:SS' (Hive's driver gives '... HH:MM:SS.0').
 */
export function receivedByJob(receiver: Receiver, seconds = false): Map<string, Record<string, string[]>> {
  const byJob = new Map<string, Record<string, string[]>>();
  for (const request of receiver.acknowledged) {
    const job = JSON.parse(request.body).job as string;
    const leads = byJob.get(job) ?? {};
    for (const lead of leadsOf(request)) {
      const time = String(lead.viewed_at);
      leads[String(lead.key)] = [...(leads[String(lead.key)] ?? []), seconds ? time.slice(0, 19) : time];
    }
    byJob.set(job, leads);
  }
  return byJob;
}

/** The hand-written expectation (person -> trigger time) as received once each. */
export const once = (expected: Record<string, string>): Record<string, string[]> =>
  Object.fromEntries(Object.entries(expected).map(([key, time]) => [key, [time]]));
