// The merge order of person keys (audience.follow_up with many delivered people, issue 13): the
// warehouse's rows and the delivered people meet in one pass, both sorted the same way, so
// every side must agree on the order exactly. The order is by the key's text: first its length
// in characters, then its characters by code point. Text because the ledger keeps keys as text
// and a warehouse key's type is not known when the job compiles; length first because whole
// numbers without leading zeros then sort as numbers (1, 2, 10), as the plain key column did
// for `lead.limit`'s tie-break. Code points because that is the one text order every engine can
// be made to follow (src/sql/exact-text.ts) and that SQLite's BINARY collation follows.
import type { Knex } from 'knex';
import type { Dialect } from '../config/connection-schema.ts';
import { byteOrderText, textLength } from './exact-text.ts';

/**
 * Orders `qb` by the merge order of `column` (a qualified column name, e.g. `a.user_id`) and
 * drops rows whose key is NULL: a NULL is no person, and engines put NULLs at different ends.
 */
export function orderByKeyText(qb: Knex.QueryBuilder, dialect: Dialect, column: string): Knex.QueryBuilder {
  return qb.whereNotNull(column).orderByRaw(`${textLength(dialect)}, ${byteOrderText(dialect)}`, [column, column]);
}

/** A key's length in characters (code points: a character outside the BMP counts once, as in SQL). */
export function codePointLength(key: string): number {
  let n = key.length;
  for (let i = 0; i < key.length; i++) {
    const c = key.charCodeAt(i);
    // A high surrogate followed by a low one is one character.
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < key.length) {
      const d = key.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        n--;
        i++;
      }
    }
  }
  return n;
}

// UTF-16 code units order like code points except that surrogates (characters above U+FFFF)
// sort below U+E000..U+FFFF: shifted so that they sort above.
const codePointRank = (unit: number) => (unit >= 0xe000 ? unit - 0x800 : unit + 0x2000);

/** Compares two texts by code point (as UTF-8 bytes compare): negative, 0 or positive. */
export function compareCodePoints(a: string, b: string): number {
  if (a === b) return 0;
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x !== y) return x >= 0xd800 && y >= 0xd800 ? codePointRank(x) - codePointRank(y) : x - y;
  }
  return a.length - b.length;
}

/** Compares two keys in the merge order (length in characters, then code points): negative, 0 or positive. */
export function compareKeys(a: string, aLength: number, b: string, bLength: number): number {
  return aLength !== bLength ? aLength - bLength : compareCodePoints(a, b);
}
