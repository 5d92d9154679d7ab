// What the live `crm-leads watch` tests share (test/integration/watch-live.test.ts and
// test/soak/watch-live.soak.ts): a warehouse of `users` people and an empty events table that
// the test inserts into while a real `watch` child runs, and a job directory naming it `wh`.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTestDatabase, loadFixture, type TestDatabase } from './databases.ts';

/** Naive UTC text 'YYYY-MM-DD HH:MM:SS' of epoch ms: how the live tests write event_time. */
export const naiveUtc = (ms: number): string => new Date(ms).toISOString().slice(0, 19).replace('T', ' ');

/**
 * A fresh database `name` with dim_user (user_id 1..users, and a phone 1390000NNNN when
 * `phones`) and an empty events table carrying the README's two watch indexes.
 */
export async function liveWatchDatabase(
  dialect: 'mysql' | 'postgres',
  name: string,
  users: number,
  phones = false,
): Promise<TestDatabase> {
  const db = await createTestDatabase(dialect, name);
  await loadFixture(db, [
    {
      name: 'dim_user',
      columns: phones ? { user_id: 'integer', phone: 'string' } : { user_id: 'integer' },
      rows: Array.from({ length: users }, (_, i) =>
        phones ? { user_id: i + 1, phone: `1390000${String(i + 1).padStart(4, '0')}` } : { user_id: i + 1 },
      ),
    },
    {
      name: 'events',
      columns: { user_id: 'integer', event_name: 'string', event_time: 'datetime' },
      rows: [],
      indexes: [
        ['user_id', 'event_name', 'event_time'],
        ['event_name', 'event_time'],
      ],
    },
  ]);
  return db;
}

/** A temp directory holding connections.yaml (`wh:` = db) and the given job files (name -> YAML). */
export function liveWatchDir(prefix: string, db: TestDatabase, jobs: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  writeFileSync(join(dir, 'connections.yaml'), `wh: ${db.yaml}\n`);
  for (const [file, text] of Object.entries(jobs)) writeFileSync(join(dir, file), text);
  return dir;
}
