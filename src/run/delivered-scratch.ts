// The delivered people of a follow-up when they are too many to hold (audience.follow_up,
// issue 13): a private temporary SQLite database of the run's own. The ledger keeps keys in
// batch rows of 2,000 in delivery order, so reading them in key order needs a sort; SQLite's
// sorter does it in bounded memory (sorted runs of at most the cache size, spilled to a
// temporary file and merged), whatever engine the ledger is on. The person rows are then read
// back page by page in the merge order of src/sql/key-order.ts, or looked up one by one.
//
// Memory: the page cache (CACHE_KB) and the sorter, both capped by the cache size, plus one
// page of rows; not the number of people. The database's file lives in SQLite's temporary
// directory ($SQLITE_TMPDIR, else /var/tmp, /usr/tmp or /tmp) and is unlinked as soon as it is
// created, so it goes away at close, or when the process dies.
import Database from 'better-sqlite3';
import { RunError } from '../errors.ts';
import { codePointLength, compareKeys } from '../sql/key-order.ts';

/** Page cache and sorter memory of the scratch database, KiB. */
const CACHE_KB = 16_000;
/** People read back per page. */
const PAGE = 5000;

/** A delivered person: their latest acknowledgement (wall clock, ms) and its channel. */
export interface ScratchPerson {
  /** The key's length in characters (the merge order's first term). */
  len: number;
  key: string;
  ms: number;
  channel: string | null;
  /** 1 once a response event answered the delivery (markResponded), else 0. */
  responded: number;
}

export class DeliveredScratch {
  private readonly db = new Database('');
  private readonly insertRaw;
  private finished = false;
  /** Distinct people, known once finish() has run. */
  size = 0;

  constructor() {
    this.db.pragma(`cache_size = -${CACHE_KB}`);
    // Nothing here outlives the run: no journal, no syncs.
    this.db.pragma('journal_mode = OFF');
    this.db.pragma('synchronous = OFF');
    this.db.pragma('temp_store = FILE');
    this.db.exec(`create table raw (len integer not null, key text not null, ms integer not null, channel text);
      create table delivered (len integer not null, key text not null, ms integer not null, channel text,
        responded integer not null default 0, primary key (len, key)) without rowid;`);
    const insert = this.db.prepare('insert into raw (len, key, ms, channel) values (?, ?, ?, ?)');
    this.insertRaw = this.db.transaction((keys: readonly string[], ms: number, channel: string | null) => {
      for (const key of keys) insert.run(codePointLength(key), key, ms, channel);
    });
  }

  /**
   * Records one acknowledged batch, appended unsorted: finish() sorts once. Inserting into the
   * key's B-tree in delivery order instead thrashes the cache once it outgrows it (measured on
   * the shared 2-core machine: 2,000,000 scattered keys took 137 s that way, 10 s appended and
   * sorted).
   */
  add(keys: readonly string[], ms: number, channel: string | null): void {
    if (this.finished) throw new Error('DeliveredScratch.add after finish');
    this.insertRaw(keys, ms, channel);
  }

  /**
   * Keeps each person's latest acknowledgement, sorted by key (SQLite takes a bare column of
   * the row that holds max()); returns the number of people.
   */
  finish(): number {
    this.db.exec(`insert into delivered (len, key, ms, channel)
        select len, key, max(ms), channel from raw group by len, key order by len, key;
      drop table raw;`);
    this.finished = true;
    this.size = (this.db.prepare('select count(*) as n from delivered').get() as { n: number }).n;
    return this.size;
  }

  /** Marks these people as having responded (one transaction). */
  markResponded(people: readonly ScratchPerson[]): void {
    if (people.length === 0) return;
    const update = this.db.prepare('update delivered set responded = 1 where len = ? and key = ?');
    this.db.transaction(() => {
      for (const p of people) update.run(p.len, p.key);
    })();
  }

  /** A reader of the people in merge order; `source` names what supplies the keys, for the out-of-order error. */
  cursor(source: string): ScratchCursor {
    const page = this.db.prepare(
      `select len, key, ms, channel, responded from delivered where (len, key) > (?, ?) order by len, key limit ${PAGE}`,
    );
    return new ScratchCursor((afterLen, afterKey) => page.all(afterLen, afterKey) as ScratchPerson[], source);
  }

  /** One person by key (a primary-key lookup), for keys that come in no particular order. */
  lookup(): (key: string) => ScratchPerson | undefined {
    const get = this.db.prepare('select len, key, ms, channel, responded from delivered where len = ? and key = ?');
    return (key) => get.get(codePointLength(key), key) as ScratchPerson | undefined;
  }

  close(): void {
    this.db.close();
  }
}

/**
 * Walks the people in merge order alongside a stream of keys in the same order: seek(key)
 * moves forward to `key` and returns its person (the same object while the key repeats).
 * Keys must not go backwards; a key that does throws RunError (the warehouse's order did not
 * agree with the ledger's: the merge would otherwise silently miss people).
 */
export class ScratchCursor {
  private page: ScratchPerson[] = [];
  private at = 0;
  private exhausted = false;
  private previous?: { key: string; len: number };

  constructor(
    private readonly readPage: (afterLen: number, afterKey: string) => ScratchPerson[],
    private readonly source: string,
  ) {}

  seek(key: string): ScratchPerson | undefined {
    const len = codePointLength(key);
    const previous = this.previous;
    if (previous && compareKeys(key, len, previous.key, previous.len) < 0)
      throw new RunError(
        `audience.follow_up: ${this.source} returned person key ${JSON.stringify(key)} after ${JSON.stringify(previous.key)}, ` +
          'out of the order the follow-up merge needs (the key as text: shorter first, then by code point); ' +
          'audience.key must be a column of whole numbers or text',
      );
    this.previous = { key, len };
    for (;;) {
      const person = this.current();
      if (!person) return undefined;
      const c = compareKeys(person.key, person.len, key, len);
      if (c === 0) return person;
      if (c > 0) return undefined;
      this.at++;
    }
  }

  private current(): ScratchPerson | undefined {
    if (this.at < this.page.length) return this.page[this.at];
    if (this.exhausted) return undefined;
    const last = this.page[this.page.length - 1];
    this.page = last ? this.readPage(last.len, last.key) : this.readPage(-1, '');
    this.at = 0;
    if (this.page.length === 0) this.exhausted = true;
    return this.page[0];
  }
}
