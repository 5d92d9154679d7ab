// The dry-run funnel for people: one bar per rule, with the people left and their share of
// the audience (the first step). Structured output (JSON summary, json logs) keeps the
// `[{ rule, remaining }]` array; this is only how a terminal shows it.
import type { FunnelStep } from '../run/funnel.ts';

const WIDTH = 30;
const EIGHTHS = ['', '▏', '▎', '▍', '▌', '▋', '▊', '▉'];

/** Lines such as `  where       ████████████▌                  2,210   44.2%`. */
export function funnelBars(steps: readonly FunnelStep[]): string[] {
  const audience = steps[0]?.remaining ?? 0;
  const label = Math.max(...steps.map((s) => s.rule.length), 8);
  const digits = Math.max(...steps.map((s) => s.remaining.toLocaleString('en-US').length));
  return steps.map((s) => {
    const share = audience > 0 ? s.remaining / audience : 0;
    const eighths = Math.round(Math.min(share, 1) * WIDTH * 8);
    const bar = '█'.repeat(Math.floor(eighths / 8)) + EIGHTHS[eighths % 8];
    const percent = `${(share * 100).toFixed(1)}%`;
    return `  ${s.rule.padEnd(label)}  ${bar.padEnd(WIDTH)}  ${s.remaining.toLocaleString('en-US').padStart(digits)}  ${percent.padStart(6)}`;
  });
}
