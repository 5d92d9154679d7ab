// The dry-run funnel on a terminal: bars, counts and the share of the audience at each rule.
import { describe, expect, it } from 'vitest';
import { funnelBars } from '../../src/cli/funnel-bars.ts';

describe('funnel bars', () => {
  it('draws each rule as a bar with its count and share of the audience', () => {
    expect(
      funnelBars([
        { rule: 'audience', remaining: 5000 },
        { rule: 'where', remaining: 2500 },
        { rule: 'tags', remaining: 1200 },
        { rule: 'trigger', remaining: 0 },
      ]),
    ).toEqual([
      '  audience  ██████████████████████████████  5,000  100.0%',
      '  where     ███████████████                 2,500   50.0%',
      '  tags      ███████▎                        1,200   24.0%',
      '  trigger                                       0    0.0%',
    ]);
  });
  it('an empty audience shows 0% everywhere, not NaN', () => {
    expect(funnelBars([{ rule: 'audience', remaining: 0 }])).toEqual([`  audience  ${' '.repeat(30)}  0    0.0%`]);
  });
});
