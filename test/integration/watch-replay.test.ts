// `crm-leads watch --from --until` replays six hours (issue 11): on SQLite, MariaDB and
// PostgreSQL, with every 1m, 5m and 1h side by side in one process (each job ticks on its own),
// the webhook receives exactly the people and trigger times written by hand in
// test/support/watch-fixture.ts, none twice, and each A is decided in exactly one tick. A
// second replay of the same period delivers nothing (idempotent per job, person, trigger time).
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, DIALECTS, loadFixture, type TestDatabase } from '../support/databases.ts';
import { startReceiver, type Receiver } from '../support/http-receiver.ts';
import { EXPECTED, WATCH_TABLES } from '../support/watch-fixture.ts';
import { once, receivedByJob, replayWatch, writeReplayJobs } from '../support/watch-replay.ts';

const EVERY = ['1m', '5m', '1h'];
// Six replayed hours are ~870 ticks per process: minutes on a loaded 2-core machine.
const REPLAY_TIMEOUT_MS = 300_000;

let receiver: Receiver;
beforeAll(async () => {
  receiver = await startReceiver();
});
afterAll(async () => {
  await receiver.close();
});

describe.each(DIALECTS)('watch replay on %s', (dialect) => {
  let db: TestDatabase;
  let dir: string;
  let files: string[];
  beforeAll(async () => {
    db = await createTestDatabase(dialect, 'watch_replay');
    await loadFixture(db, WATCH_TABLES);
    dir = mkdtempSync(join(tmpdir(), 'crm-leads-watch-'));
    writeFileSync(join(dir, 'connections.yaml'), `wh: ${db.yaml}\n`);
    files = writeReplayJobs(dir, EVERY, receiver.url);
  });
  afterAll(async () => {
    await db.drop();
  });

  const watch = () => replayWatch(dir, files, REPLAY_TIMEOUT_MS);

  it(
    'delivers the hand-written leads for every `every`, each once, each A decided in one tick',
    async () => {
      receiver.reset();
      const r = await watch();
      expect(r.stderr).not.toMatch(/tick_failed|"level":50/);
      expect(r.code).toBe(0);
      const got = receivedByJob(receiver);
      for (const every of EVERY) {
        expect(got.get(`fridge-${every}`), `fridge-${every}`).toEqual(once(EXPECTED.fridge));
        expect(got.get(`sequence-${every}`), `sequence-${every}`).toEqual(once(EXPECTED.sequence));
      }
      const ticks = r.stdout
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line));
      // No tick found an A that an earlier tick had already decided (the slices do not overlap).
      expect(ticks.reduce((n, t) => n + t.counts.already_sent, 0)).toBe(0);
      // Person 5's second A (11:00) reached a tick and was held back by the 3h cooldown.
      for (const every of EVERY)
        expect(ticks.filter((t) => t.job === `fridge-${every}`).reduce((n, t) => n + t.counts.delivered, 0)).toBe(1);
      // The 1h job ticked 6 times (09:00 … 14:00); its last slice ends at 13:58.
      const hourly = ticks.filter((t) => t.job === 'sequence-1h');
      expect(hourly.at(-1).slice).toEqual({ from: '2026-11-23 12:58:00', to: '2026-11-23 13:58:00' });
    },
    REPLAY_TIMEOUT_MS,
  );

  it(
    'replaying the same period again delivers nothing twice',
    async () => {
      receiver.reset();
      const r = await watch();
      expect(r.code).toBe(0);
      expect(receiver.requests).toHaveLength(0);
      const ticks = r.stdout
        .trim()
        .split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(line));
      const expectedCount =
        EVERY.length * (Object.keys(EXPECTED.fridge).length + Object.keys(EXPECTED.sequence).length);
      expect(ticks.reduce((n, t) => n + t.counts.already_sent, 0)).toBe(expectedCount);
    },
    REPLAY_TIMEOUT_MS,
  );
});
