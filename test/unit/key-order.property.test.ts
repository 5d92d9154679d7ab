// The follow-up merge order (src/sql/key-order.ts) as JavaScript computes it must be the order
// the engines produce: UTF-8 byte order for the text (what SQLite's BINARY collation, MySQL's
// CAST AS BINARY and PostgreSQL's COLLATE "C" compare) and characters for the length (what
// length()/char_length() count). Checked on generated texts that mix ASCII, the BMP's top range
// (U+E000..U+FFFF, where UTF-16 order differs) and characters above U+FFFF.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { codePointLength, compareCodePoints, compareKeys } from '../../src/sql/key-order.ts';

const codePoint = fc.oneof(
  fc.integer({ min: 0x20, max: 0x7e }),
  fc.integer({ min: 0xe000, max: 0xffff }),
  fc.integer({ min: 0x10000, max: 0x10ffff }),
  fc.integer({ min: 0x80, max: 0xd7ff }),
);
const text = fc.array(codePoint, { maxLength: 6 }).map((cps) => String.fromCodePoint(...cps));
const sign = (n: number) => Math.sign(n);

describe('key merge order', () => {
  it('compareCodePoints agrees with the UTF-8 bytes order', () => {
    fc.assert(
      fc.property(text, text, (a, b) => {
        expect(sign(compareCodePoints(a, b))).toBe(sign(Buffer.compare(Buffer.from(a), Buffer.from(b))));
      }),
      { numRuns: 5000 },
    );
  });

  it('codePointLength counts characters, a character above U+FFFF once', () => {
    fc.assert(
      fc.property(text, (a) => {
        expect(codePointLength(a)).toBe([...a].length);
      }),
    );
    expect(codePointLength('a𝔸b')).toBe(3);
  });

  it('orders shorter keys first: whole numbers in numeric order, then text by code point', () => {
    const keys = ['b', '10', 'Z', '9', 'aa', '\u{1D538}', '\uFF21', 'a', '100', 'A'];
    const sorted = [...keys].sort((x, y) => compareKeys(x, codePointLength(x), y, codePointLength(y)));
    expect(sorted).toEqual(['9', 'A', 'Z', 'a', 'b', '\uFF21', '\u{1D538}', '10', 'aa', '100']);
  });
});
