// `crm-leads watch` on Hive (issue 11: "Hive can run watch, each tick is one HiveServer2
// query"): the six-hour replay of test/support/watch-fixture.ts through the HiveServer2 test
// server (real Thrift TCLIService, the unmodified hive-driver; statements run on MariaDB) gives
// the same hand-written people and trigger times as on SQLite, MariaDB and PostgreSQL
// (watch-replay.test.ts), each once, and every tick sends exactly one query to HiveServer2.
//
// What this does not prove: that a real Hive accepts these statements (the engine behind the
// server is MariaDB; Hive's grammar is checked in test/unit/hive-render.test.ts), nor Hive's latency.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, loadFixture, testDatabaseName, type TestDatabase } from '../support/databases.ts';
import { startHiveTestServer, type HiveTestServer } from '../support/hive-server/index.ts';
import { startReceiver, type Receiver } from '../support/http-receiver.ts';
import { EXPECTED, WATCH_TABLES } from '../support/watch-fixture.ts';
import { once, receivedByJob, replayWatch, writeReplayJobs } from '../support/watch-replay.ts';

// Hourly and half-hourly ticks: 6 + 12 per job, enough to cross slices without a slow replay.
const EVERY = ['1h', '30m'];

describe('watch replay on Hive (HiveServer2)', () => {
  let db: TestDatabase;
  let hive: HiveTestServer;
  let receiver: Receiver;
  let dir: string;
  let files: string[];
  beforeAll(async () => {
    db = await createTestDatabase('mysql', 'watch_hive');
    await loadFixture(db, WATCH_TABLES);
    hive = await startHiveTestServer({ database: testDatabaseName('watch_hive') });
    receiver = await startReceiver();
    dir = mkdtempSync(join(tmpdir(), 'crm-leads-watch-hive-'));
    writeFileSync(
      join(dir, 'connections.yaml'),
      `wh: { type: hive, host: 127.0.0.1, port: ${hive.port}, database: ${testDatabaseName('watch_hive')}, connect_timeout: 10s }\n`,
    );
    files = writeReplayJobs(dir, EVERY, receiver.url);
  });
  afterAll(async () => {
    await receiver?.close();
    await hive?.close();
    await db?.drop();
  });

  it('delivers the hand-written leads for each `every`, each once, one HiveServer2 query per tick', async () => {
    const r = await replayWatch(dir, files, 240_000);
    expect(r.stderr).not.toMatch(/tick_failed/);
    expect(r.code).toBe(0);

    const got = receivedByJob(receiver, true);
    for (const every of EVERY) {
      expect(got.get(`fridge-${every}`), `fridge-${every}`).toEqual(once(EXPECTED.fridge));
      expect(got.get(`sequence-${every}`), `sequence-${every}`).toEqual(once(EXPECTED.sequence));
    }

    // 08:00 → 14:00: 6 hourly and 12 half-hourly ticks per job, each one SELECT sent to HiveServer2.
    const ticks = 2 * (6 + 12);
    const selects = hive.statements.filter((s) => /^\s*(WITH|SELECT)\b/i.test(s));
    expect(selects).toHaveLength(ticks);
  }, 300_000);
});
