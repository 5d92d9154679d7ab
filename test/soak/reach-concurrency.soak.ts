// The caps race of test/integration/reach-concurrency.test.ts, 20 trials per ledger (MariaDB,
// PostgreSQL), each with a fresh ledger: zero people over their cap in every trial.
import { afterAll, describe, expect, it } from 'vitest';
import { raceWorkspace, type RaceWorkspace } from '../support/reach-race.ts';

const TRIALS = 20;

describe.each(['mysql', 'postgres'] as const)('caps under concurrency, ledger on %s', (dialect) => {
  let ws: RaceWorkspace | undefined;
  afterAll(async () => ws?.close());

  it(`${TRIALS} trials of four jobs started at once: nobody delivered twice`, async () => {
    ws = await raceWorkspace(dialect);
    for (let n = 1; n <= TRIALS; n++) {
      const { deliveries, codes, stderr } = await ws.trial(n);
      expect(codes, `trial ${n}: ${stderr.join('\n')}`).toEqual([0, 0, 0, 0]);
      expect(
        [...deliveries].filter(([, count]) => count > 1),
        `trial ${n}`,
      ).toEqual([]);
    }
  });
});
