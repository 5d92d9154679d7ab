// The destination contract: one suite every destination runs (the habit of Singer SDK's shared
// sink tests). Each destination is built through the real registry (createDestinations) from a
// job's destination entry and checked against what really arrived at its target.
//
// HOW A DESTINATION JOINS (xlsx, channel routing, ...):
//   1. Write a DestinationSubject (test/contract/destination-subjects.ts has csv, webhook and
//      table): `prepare(name)` returns a destination entry as the job schema outputs it, writing
//      to a target of its own for that name; `read(name)` returns the leads that arrived there.
//   2. Add ONE line to test/contract/destinations.test.ts:  destinationContract(xlsxSubject());
// The suite then checks: open -> write in batches -> flush -> close('ok') delivers every lead
// once with its values exactly (Chinese, emoji, quotes, commas, newlines, backslashes); the
// summary's counts; close('failed') (abort) leaves only what was reported delivered (nothing
// for destinations that deliver on close); and a real child process killed with SIGKILL
// between write() and flush() leaves no partial delivery and does not block the next run.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConnectionSpec } from '../../src/config/connection-schema.ts';
import type { DestinationSpec } from '../../src/config/job-schema.ts';
import type { Connections } from '../../src/config/load-connections.ts';
import { createDestinations } from '../../src/destinations/open-destinations.ts';
import type { Destination, Lead, WriteResult } from '../../src/destinations/destination.ts';
import { contractContext, contractLeads, type CrashOrder, type CrashReport } from './destination-leads.ts';

/** A lead as it arrived at the target: the person key and the field values as text. */
export interface ArrivedLead {
  key: string;
  values: string[];
}

export interface DestinationSubject {
  /** Shown in the suite's title, e.g. 'table on postgres'. */
  name: string;
  /** Starts what the target needs (a receiver, a database); once per suite. */
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Connections the entries refer to (the table destination's `connection`). */
  connections(): Map<string, ConnectionSpec>;
  /** A destination entry writing to a target of its own for `name` (a file, a path, a table). */
  prepare(name: string): Promise<DestinationSpec>;
  /** The leads that arrived at `name`'s target, in arrival order; none when nothing arrived. */
  read(name: string): Promise<ArrivedLead[]>;
}

const arrived = (leads: Lead[]): ArrivedLead[] => leads.map((l) => ({ key: l.key, values: l.values.map(String) }));
const byKey = (leads: ArrivedLead[]) => [...leads].sort((a, b) => Number(a.key) - Number(b.key));
const keysOf = (leads: { key: string }[]) => leads.map((l) => l.key);

/** Every lead handed to write() in slices of `slice`, then flush: all results in one. */
async function deliver(d: Destination, leads: Lead[], slice: number): Promise<WriteResult> {
  const all: WriteResult = { delivered: [], failed: [] };
  for (let i = 0; i < leads.length; i += slice) {
    const batch = leads.slice(i, i + slice);
    const r = await d.write(batch);
    all.delivered.push(...r.delivered);
    all.failed.push(...r.failed);
  }
  const r = (await d.flush?.()) ?? { delivered: [], failed: [] };
  all.delivered.push(...r.delivered);
  all.failed.push(...r.failed);
  return all;
}

const CHILD = fileURLToPath(new URL('./destination-child.ts', import.meta.url));

// Runs destination-child.ts, waits for its report after the writes, kills it with SIGKILL.
function writeThenKill(order: CrashOrder): Promise<CrashReport> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', CHILD, JSON.stringify(order)], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    let report: CrashReport | undefined;
    child.stderr.on('data', (d) => (err += d));
    child.stdout.on('data', (d) => {
      out += d;
      if (!report && out.includes('\n')) {
        report = JSON.parse(out.split('\n')[0]);
        child.kill('SIGKILL');
      }
    });
    child.on('error', reject);
    child.on('close', (code, signal) => {
      if (report && signal === 'SIGKILL') resolve(report);
      else reject(new Error(`contract child ended ${code ?? signal} before its report: ${err.slice(-2000)}`));
    });
  });
}

/** The destination contract for one subject. */
export function destinationContract(subject: DestinationSubject): void {
  describe(`destination contract: ${subject.name}`, () => {
    let connections: Connections;
    beforeAll(async () => {
      await subject.start();
      connections = { file: 'contract', byName: subject.connections() };
    });
    afterAll(() => subject.stop());

    const open = async (name: string, runId = `run-${name}`) => {
      const [d] = await createDestinations([await subject.prepare(name)], connections);
      await d.open(contractContext(runId));
      return d;
    };

    it('delivers every lead once, values exact, in batches; the summary counts them', async () => {
      const leads = contractLeads(1, 23);
      const d = await open('all');
      const result = await deliver(d, leads, 4);
      const summary = await d.close('ok');
      expect(result.failed).toEqual([]);
      expect(keysOf(result.delivered).sort()).toEqual(keysOf(leads).sort());
      expect(summary).toMatchObject({ type: d.type, delivered: 23, failed: 0 });
      expect(byKey(await subject.read('all'))).toEqual(arrived(leads));
    });

    it('an empty run delivers nothing and counts zero', async () => {
      const d = await open('none');
      expect(await deliver(d, [], 1)).toEqual({ delivered: [], failed: [] });
      expect(await d.close('ok')).toMatchObject({ delivered: 0, failed: 0 });
      expect(await subject.read('none')).toEqual([]);
    });

    it('abort (close failed) leaves only leads reported delivered; none for a destination that delivers on close', async () => {
      const leads = contractLeads(1, 17);
      const d = await open('abort');
      const reported: string[] = [];
      for (let i = 0; i < leads.length; i += 5)
        reported.push(...keysOf((await d.write(leads.slice(i, i + 5))).delivered));
      const summary = await d.close('failed');
      const there = keysOf(await subject.read('abort'));
      if (d.deliversOnClose) {
        expect(there).toEqual([]);
        expect(summary.delivered).toBe(0);
        return;
      }
      expect(new Set(there).size).toBe(there.length); // nothing twice
      for (const key of there) expect(keysOf(leads)).toContain(key);
      for (const key of reported) expect(there).toContain(key);
      expect(summary.delivered).toBeGreaterThanOrEqual(reported.length);
      expect(summary.delivered).toBeLessThanOrEqual(there.length);
    });

    it('a process killed between write and flush leaves no partial delivery, and the next run delivers', async () => {
      const order: CrashOrder = {
        spec: await subject.prepare('crash'),
        connections: [...connections.byName],
        runId: 'run-crash',
        from: 1,
        count: 12,
        batch: 5,
      };
      const crash = await writeThenKill(order);
      expect(crash.written).toBe(12);
      const afterCrash = keysOf(await subject.read('crash'));
      if (crash.deliversOnClose) expect(afterCrash).toEqual([]);
      // Acknowledged means durable: what write() reported delivered survived the kill.
      else for (const key of crash.reported) expect(afterCrash).toContain(key);
      // Never the leads still held for the next batch: only whole batches ever left the process.
      const handedOver = crash.batchSize ? Math.floor(12 / crash.batchSize) * crash.batchSize : 12;
      for (const key of afterCrash) expect(Number(key)).toBeLessThanOrEqual(handedOver);
      expect(new Set(afterCrash).size).toBe(afterCrash.length);
      // The next run on the same target is not blocked by anything the dead one left.
      const next = contractLeads(101, 6);
      const d = await open('crash', 'run-after-crash');
      const result = await deliver(d, next, 6);
      expect((await d.close('ok')).delivered).toBe(6);
      expect(keysOf(result.delivered).sort()).toEqual(keysOf(next).sort());
      const there = keysOf(await subject.read('crash'));
      for (const key of keysOf(next)) expect(there).toContain(key);
    });
  });
}
