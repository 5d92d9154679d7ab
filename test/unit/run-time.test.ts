// The run's time and its windows (issue 9, section 3), without a warehouse: elapsed s/m/h and
// calendar d across New York's 2026 DST changes, the --at rules, the timezone rule, the MySQL
// session offset, and the bounds as the Hive and Oracle SQL carry them.
import { describe, expect, it } from 'vitest';
import { loadJob } from '../../src/config/load-job.ts';
import { timeZoneProblem } from '../../src/config/time-zone.ts';
import type { SpecError } from '../../src/errors.ts';
import { planJob } from '../../src/plan/plan.ts';
import { cappingRule, historyStart } from '../../src/reach/caps.ts';
import { resolveRunTime, windowStart, windowStartMs } from '../../src/plan/time.ts';
import { renderForDialect, showValues } from '../../src/sql/render.ts';
import { sessionTimeZone } from '../../src/warehouses/mysql.ts';

const NY = 'America/New_York';
const hours = (n: number) => ({ seconds: n * 3600 });
const days = (n: number) => ({ seconds: n * 86400, days: n });

describe('windows back from at', () => {
  it('s/m/h are elapsed time: 24h before 03:30 EDT on the spring day is 02:30 EST the day before', () => {
    const at = resolveRunTime('2026-03-08T03:30', NY);
    expect(windowStart(at, hours(24)).local).toBe('2026-03-07 02:30:00');
    expect(windowStart(at, { seconds: 90 * 60 }).local).toBe('2026-03-08 01:00:00');
    expect(at.epochMs - windowStart(at, hours(24)).epochMs).toBe(24 * 3600_000);
  });

  it('d is calendar days: the same wall-clock time, 23 real hours across the spring change', () => {
    const at = resolveRunTime('2026-03-08T03:30', NY);
    expect(windowStart(at, days(1))).toEqual({
      local: '2026-03-07 03:30:00',
      epochMs: Date.parse('2026-03-07T08:30:00Z'),
    });
    expect(at.epochMs - windowStartMs(at.epochMs, NY, days(1))).toBe(23 * 3600_000);
    // 25 real hours across the autumn change.
    const autumn = resolveRunTime('2026-11-01T12:00', NY);
    expect(autumn.epochMs - windowStartMs(autumn.epochMs, NY, days(1))).toBe(25 * 3600_000);
    expect(windowStartMs(autumn.epochMs, NY, hours(24))).toBe(autumn.epochMs - 24 * 3600_000);
  });

  it('consecutive hourly runs tile the naive timeline across both changes', () => {
    const windows = (day: string, utcHours: number[]) =>
      utcHours.map((h) => {
        const at = resolveRunTime(`${day}T${String(h).padStart(2, '0')}:00:00Z`, NY);
        return [windowStart(at, hours(1)).local.slice(11), at.local.slice(11)];
      });
    expect(windows('2026-03-08', [6, 7, 8])).toEqual([
      ['00:00:00', '01:00:00'],
      ['01:00:00', '03:00:00'],
      ['03:00:00', '04:00:00'],
    ]);
    expect(windows('2026-11-01', [5, 6, 7, 8])).toEqual([
      ['00:00:00', '01:00:00'],
      ['01:00:00', '01:00:00'],
      ['01:00:00', '02:00:00'],
      ['02:00:00', '03:00:00'],
    ]);
  });
});

describe('--at', () => {
  const atError = (text: string) => {
    try {
      resolveRunTime(text, NY);
    } catch (err) {
      return (err as SpecError).issues;
    }
    return undefined;
  };

  it('a local time the clocks skip is an error at --at with a hint', () => {
    expect(atError('2026-03-08T02:30')).toEqual([
      {
        file: '--at',
        message:
          '"2026-03-08T02:30" does not exist in America/New_York: the clocks go forward over it that day; write a local time outside the skipped hour, or a time with an offset, e.g. 2026-03-08T03:30:00-04:00',
      },
    ]);
    // With an offset it is one instant, not a local time: accepted.
    expect(resolveRunTime('2026-03-08T02:30-05:00', NY).iso).toBe('2026-03-08T03:30:00-04:00');
  });

  it('a repeated local time is the first occurrence, with a note; with an offset, no note', () => {
    const at = resolveRunTime('2026-11-01T01:30', NY);
    expect(at.iso).toBe('2026-11-01T01:30:00-04:00');
    expect(at.note).toBe(
      '--at 2026-11-01T01:30 happens twice in America/New_York; taken as the first, 2026-11-01T01:30:00-04:00 (EDT), not 2026-11-01T01:30:00-05:00 (EST): give an offset to choose',
    );
    const second = resolveRunTime('2026-11-01T01:30:00-05:00', NY);
    expect([second.iso, second.note]).toEqual(['2026-11-01T01:30:00-05:00', undefined]);
    expect(resolveRunTime('2026-11-01T03:30', NY).note).toBeUndefined();
  });
});

describe('timezone', () => {
  it.each(['Asia/Shanghai', 'America/New_York', 'UTC', 'Etc/GMT-8'])('%s is a timezone', (zone) => {
    expect(timeZoneProblem(zone)).toBeUndefined();
  });

  it.each(['CST', 'EST', 'PST8PDT', 'PRC'])('%s is refused as an abbreviation', (zone) => {
    expect(timeZoneProblem(zone)).toBe(
      `"${zone}" is an abbreviation, which names different zones (CST is China, US Central or Cuba) and ignores daylight saving: write an IANA name such as Asia/Shanghai, America/Chicago or America/New_York`,
    );
  });

  it('an unknown name is refused', () => {
    expect(timeZoneProblem('Asia/Shanghia')).toBe(
      '"Asia/Shanghia" is not an IANA time zone such as Asia/Shanghai or America/New_York',
    );
  });

  it('MySQL sessions get the zone offset at the run time', () => {
    const at = (iso: string) => ({ timezone: NY, atMs: Date.parse(iso) });
    expect(sessionTimeZone(at('2026-03-08T06:00:00Z'))).toBe('-05:00');
    expect(sessionTimeZone(at('2026-03-08T07:00:00Z'))).toBe('-04:00');
    expect(sessionTimeZone({ timezone: 'Asia/Shanghai', atMs: 0 })).toBe('+08:00');
  });
});

describe('the bounds in Hive and Oracle SQL', () => {
  const job = (within: string) =>
    loadJob(
      '/virtual/time.yaml',
      undefined,
      {},
      `name: t\nsource: wh\ntimezone: ${NY}\naudience: { table: dim_user }\ntrigger: { table: events, event: signup, within: ${within} }\nlead: { fields: [user_id] }\n`,
    );
  const at = resolveRunTime('2026-03-08T03:30', NY);

  it.each([
    ['24h', '2026-03-07 02:30:00'],
    ['1d', '2026-03-07 03:30:00'],
  ])('within %s starts at %s', async (within, from) => {
    const hive = await renderForDialect(planJob(job(within), at, 'hive'));
    expect(hive.sql).toContain(
      `\`e\`.\`event_time\` >= TIMESTAMP '${from}' and \`e\`.\`event_time\` < TIMESTAMP '2026-03-08 03:30:00'`,
    );
    const oracle = showValues(await renderForDialect(planJob(job(within), at, 'oracle')));
    expect(oracle).toContain(
      `"E"."EVENT_TIME" >= TO_DATE('${from}', 'YYYY-MM-DD HH24:MI:SS') and "E"."EVENT_TIME" < TO_DATE('2026-03-08 03:30:00', 'YYYY-MM-DD HH24:MI:SS')`,
    );
  });
});

describe('caps and cooldowns on the ledger (instants)', () => {
  // 12:00 EDT on the spring day is 16:00Z; 24h back is 03-07 16:00Z, 1d back 03-07 12:00 EST = 17:00Z.
  const atMs = Date.parse('2026-03-08T16:00:00Z');
  const touch = { runId: 'r1', job: 'j', channel: '', atMs: Date.parse('2026-03-07T16:30:00Z'), inFlight: false };
  const rule = (within: { seconds: number; days?: number }) => ({
    within,
    scope: 'job' as const,
    max: 1,
    legacy: false,
  });

  it('a delivery 23.5 real hours ago counts for 24h, not for 1d (a calendar day is 23 hours that day)', () => {
    const ctx = (within: { seconds: number; days?: number }) => ({
      job: 'j',
      atMs,
      timezone: NY,
      rules: [rule(within)],
    });
    expect(cappingRule(ctx(hours(24)), undefined, [touch])).toBeDefined();
    expect(cappingRule(ctx(days(1)), undefined, [touch])).toBeUndefined();
    expect(historyStart(ctx(days(1)))).toBe(Date.parse('2026-03-07T17:00:00Z'));
  });
});
