import { defineConfig } from 'vitest/config';

// Heavy soak and repetition tests (20 concurrent trials, half-million-row cuts, long live runs):
// run by `npm run test:soak` and by .ci/run after `npm test`, never by `npm test` itself.
export default defineConfig({
  test: {
    include: ['test/soak/**/*.soak.ts'],
    testTimeout: 600_000,
    hookTimeout: 300_000,
    maxWorkers: 1,
    minWorkers: 1,
    passWithNoTests: true,
  },
});
