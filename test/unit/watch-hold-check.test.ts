// When a watch tick looks for held leads (src/watch/hold-check.ts): on the first tick, and on a
// tick when a quiet period of one of the job's channels ended since the last successful tick.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadJob } from '../../src/config/load-job.ts';
import { holdsMayBeDue } from '../../src/watch/hold-check.ts';

function job(extra: string) {
  const file = join(mkdtempSync(join(tmpdir(), 'crm-leads-hold-check-')), 'job.yaml');
  writeFileSync(
    file,
    `name: w
source: wh
timezone: Asia/Shanghai
audience: { table: dim_user }
trigger: { table: events, event: view_item, within: 1h }
destinations: [ { type: webhook, url: "http://127.0.0.1:9/leads" } ]
${extra}`,
  );
  return loadJob(file, undefined);
}

// Instants in Asia/Shanghai (UTC+8, no DST).
const at = (local: string) => Date.parse(`${local}+08:00`);

describe('holdsMayBeDue', () => {
  const quiet = job(`lead: { fields: [user_id], channel: [wecom, sms] }
quiet_hours: { sms: "21:00-09:00" }
`);

  it('is false for a job without quiet hours on its channels', () => {
    expect(
      holdsMayBeDue(job('lead: { fields: [user_id], channel: sms }\n'), undefined, at('2026-11-24T09:00:00')),
    ).toBe(false);
  });

  it('is true on the first tick (holds left by an earlier process)', () => {
    expect(holdsMayBeDue(quiet, undefined, at('2026-11-23T23:00:00'))).toBe(true);
  });

  it('is true only on the tick at or after the end of the quiet period', () => {
    expect(holdsMayBeDue(quiet, at('2026-11-24T08:58:00'), at('2026-11-24T08:59:59'))).toBe(false);
    expect(holdsMayBeDue(quiet, at('2026-11-24T08:59:59'), at('2026-11-24T09:00:00'))).toBe(true);
    expect(holdsMayBeDue(quiet, at('2026-11-24T08:55:00'), at('2026-11-24T09:05:00'))).toBe(true);
    expect(holdsMayBeDue(quiet, at('2026-11-24T09:00:00'), at('2026-11-24T09:00:01'))).toBe(false);
    expect(holdsMayBeDue(quiet, at('2026-11-23T21:00:00'), at('2026-11-23T23:00:00'))).toBe(false);
  });

  it('counts a period that ended the day before, after ticks that failed for a day', () => {
    expect(holdsMayBeDue(quiet, at('2026-11-22T10:00:00'), at('2026-11-24T08:00:00'))).toBe(true);
    // Inside the next quiet period, with none ended since the last tick: nothing can be due.
    expect(holdsMayBeDue(quiet, at('2026-11-23T10:00:00'), at('2026-11-24T08:00:00'))).toBe(false);
  });
});
