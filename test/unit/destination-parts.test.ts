// The named parts the webhook and table destinations are built from, each alone: the batcher,
// the results ledger and the request window.
import { describe, expect, it } from 'vitest';
import { batcher } from '../../src/destinations/batcher.ts';
import type { Lead } from '../../src/destinations/destination.ts';
import { requestWindow } from '../../src/destinations/request-window.ts';
import { resultsLedger } from '../../src/destinations/results-ledger.ts';

const lead = (key: number): Lead => ({ key: String(key), values: [`name ${key}`] });
const keys = (leads: readonly Lead[] | undefined) => leads?.map((l) => l.key);

describe('batcher', () => {
  it('hands out a batch exactly when it is full, and the remainder only on rest()', () => {
    const b = batcher(3);
    const out = [1, 2, 3, 4, 5, 6, 7].map((k) => keys(b.add(lead(k))));
    expect(out).toEqual([undefined, undefined, ['1', '2', '3'], undefined, undefined, ['4', '5', '6'], undefined]);
    expect(b.held).toBe(1);
    expect(keys(b.rest())).toEqual(['7']);
    expect(b.rest()).toEqual([]);
    expect(b.held).toBe(0);
  });

  it('with size 1, every lead is a batch; a size below 1 is refused', () => {
    const b = batcher(1);
    expect(keys(b.add(lead(9)))).toEqual(['9']);
    expect(() => batcher(0)).toThrow(/batch size must be a whole number >= 1, not 0/);
    expect(() => batcher(2.5)).toThrow(RangeError);
  });
});

describe('results ledger', () => {
  it('hands each result over once and keeps the totals for the summary', () => {
    const ledger = resultsLedger();
    ledger.delivered([lead(1), lead(2)]);
    ledger.failed([lead(3)], 'HTTP 422: bad phone');
    const first = ledger.take();
    expect(keys(first.delivered)).toEqual(['1', '2']);
    expect(first.failed).toEqual([{ lead: lead(3), error: 'HTTP 422: bad phone' }]);
    expect(ledger.take()).toEqual({ delivered: [], failed: [] });
    ledger.delivered([lead(4)]);
    expect(keys(ledger.take().delivered)).toEqual(['4']);
    expect(ledger.counts()).toEqual({ delivered: 3, failed: 1 });
  });
});

describe('request window', () => {
  // A task that runs until the test releases it.
  function held() {
    let release!: () => void;
    const done = new Promise<void>((r) => (release = r));
    return { task: () => done, release };
  }

  it('starts at most `concurrency` tasks; start() waits for a free slot', async () => {
    const window = requestWindow(2);
    const [a, b, c] = [held(), held(), held()];
    await window.start(a.task);
    await window.start(b.task);
    expect(window.inFlight).toBe(2);
    let thirdStarted = false;
    const third = window.start(c.task).then(() => (thirdStarted = true));
    await new Promise((r) => setTimeout(r, 20));
    expect(thirdStarted).toBe(false);
    a.release();
    await third;
    expect(window.inFlight).toBe(2);
    b.release();
    c.release();
    await window.drain();
    expect(window.inFlight).toBe(0);
  });

  it('runs beforeStart once a slot is free; when it throws, the task is not started', async () => {
    const window = requestWindow(1);
    const a = held();
    await window.start(a.task);
    let started = false;
    const refused = window.start(
      async () => {
        started = true;
      },
      () => {
        throw new Error('stopped');
      },
    );
    a.release();
    await expect(refused).rejects.toThrow('stopped');
    expect(started).toBe(false);
    expect(window.inFlight).toBe(0);
  });

  it('drain() also waits for tasks started while it waits', async () => {
    const window = requestWindow(2);
    const order: string[] = [];
    await window.start(async () => {
      await new Promise((r) => setTimeout(r, 10));
      order.push('first');
      void window.start(async () => {
        await new Promise((r) => setTimeout(r, 10));
        order.push('second');
      });
    });
    await window.drain();
    expect(order).toEqual(['first', 'second']);
  });
});
