// --dry-run's funnel: how many people remain after each warehouse rule, counted in the
// warehouse (one COUNT per step, each query adding one more rule).
import type { Plan } from '../plan/plan.ts';
import { rulesFor } from '../sql/audience-rules.ts';
import { renderCountForDialect } from '../sql/render.ts';
import type { Warehouse } from '../warehouses/warehouse.ts';

export interface FunnelStep {
  rule: string;
  remaining: number;
}

/** One count per step, in order; `signal` (the run's abort) ends the count in progress. */
export async function funnel(plan: Plan, warehouse: Warehouse, signal?: AbortSignal): Promise<FunnelStep[]> {
  const names = ['audience', ...rulesFor(plan).map((r) => r.name)];
  const steps: FunnelStep[] = [];
  for (let i = 0; i < names.length; i++) {
    const [[n]] = await warehouse.all(await renderCountForDialect(plan, i), { signal });
    steps.push({ rule: names[i], remaining: Number(n) });
  }
  return steps;
}
