// The scratch database of a follow-up's many delivered people (src/run/delivered-scratch.ts),
// on a real private SQLite database: each person keeps their latest acknowledgement, the cursor
// walks them in the merge order and refuses keys that go backwards, lookups find any key.
import { afterEach, describe, expect, it } from 'vitest';
import { RunError } from '../../src/errors.ts';
import { DeliveredScratch } from '../../src/run/delivered-scratch.ts';

let scratch: DeliveredScratch | undefined;
afterEach(() => scratch?.close());

function filled(): DeliveredScratch {
  const s = new DeliveredScratch();
  s.add(['b', '10', 'a'], 2000, 'sms');
  s.add(['9', 'b', '\u{1D538}'], 3000, 'app_push'); // b again, later: this one counts
  s.add(['10'], 1000, 'email'); // 10 again, earlier: the first stays
  return s;
}

describe('DeliveredScratch', () => {
  it('keeps each person once, with their latest acknowledgement and its channel', () => {
    scratch = filled();
    expect(scratch.finish()).toBe(5);
    const get = scratch.lookup();
    expect(get('b')).toMatchObject({ ms: 3000, channel: 'app_push', responded: 0 });
    expect(get('10')).toMatchObject({ ms: 2000, channel: 'sms' });
    expect(get('\u{1D538}')).toMatchObject({ len: 1, ms: 3000 });
    expect(get('c')).toBeUndefined();
  });

  it('the cursor meets keys in the merge order, repeats included, and skips the absent', () => {
    scratch = filled();
    scratch.finish();
    const cursor = scratch.cursor('the lead query');
    const seen = ['1', '9', '9', 'a', 'b', 'c', '\u{1D538}', '10', '11', 'zz'].map((k) => cursor.seek(k)?.key);
    expect(seen).toEqual([undefined, '9', '9', 'a', 'b', undefined, '\u{1D538}', '10', undefined, undefined]);
  });

  it('a key that goes backwards is refused (the engines disagreed on the order)', () => {
    scratch = filled();
    scratch.finish();
    const cursor = scratch.cursor('the lead query');
    cursor.seek('10');
    expect(() => cursor.seek('9')).toThrow(RunError);
    expect(() => cursor.seek('9')).toThrow(/the lead query returned person key "9" after "10", out of the order/);
  });

  it('marks responders; a new cursor reads the marks', () => {
    scratch = filled();
    scratch.finish();
    const first = scratch.cursor('the response query');
    scratch.markResponded([first.seek('a')!, first.seek('b')!]);
    const second = scratch.cursor('the lead query');
    expect(['9', 'a', 'b', '10'].map((k) => second.seek(k)?.responded)).toEqual([0, 1, 1, 0]);
  });

  it('reads back across pages: 12,345 people in scattered order', () => {
    scratch = new DeliveredScratch();
    const n = 12_345;
    for (let batch = 0; batch < 5; batch++) {
      const keys: string[] = [];
      for (let i = batch; i < n; i += 5) keys.push(String(i));
      scratch.add(keys, 1000 + batch, null);
    }
    expect(scratch.finish()).toBe(n);
    const cursor = scratch.cursor('the lead query');
    let found = 0;
    for (let i = 0; i < n + 10; i++) if (cursor.seek(String(i))?.ms === 1000 + (i % 5)) found++;
    expect(found).toBe(n);
  });
});
