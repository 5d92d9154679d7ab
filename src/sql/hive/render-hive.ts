import type { Plan } from '../../plan/plan.ts';
import type { SqlQuery } from '../render-query.ts';

export function renderHiveQuery(_plan: Plan): SqlQuery {
  throw new Error('HiveQL rendering is not available in this build yet');
}

export function renderHiveCount(_plan: Plan, _ruleCount: number): SqlQuery {
  throw new Error('HiveQL rendering is not available in this build yet');
}
