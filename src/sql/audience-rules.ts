// The rules that narrow the audience, each a small function over the audience query, in
// funnel order. The main query applies them all; the dry-run funnel counts after each one.
import type { Knex } from 'knex';
import type { Plan } from '../plan/plan.ts';
import { applyWhere, whereCompare, whereValues } from './where.ts';
import { samePersonRows } from './same-person.ts';
import { applyTrigger } from './trigger.ts';
import { applyBehaviour } from './behaviour.ts';
import { applyShard } from './shard.ts';
import { applyPartition } from './partition.ts';
import { naiveTime } from './time-arithmetic.ts';

export const AUDIENCE = 'a';

export interface Rule {
  name: 'follow_up' | 'where' | 'segments' | 'tags' | 'behaviour' | 'trigger' | 'converted' | 'shard';
  apply(qb: Knex.QueryBuilder, k: Knex, plan: Plan): void;
}

const keyOf = (plan: Plan) => `${AUDIENCE}.${plan.job.audience.key}`;

// The delivered people of a follow-up, when few: an IN list on the key (src/run/follow-up.ts).
const followUpRule: Rule = {
  name: 'follow_up',
  apply: (qb, _k, plan) => void qb.whereIn(keyOf(plan), plan.followUpKeys!),
};

const whereRule: Rule = {
  name: 'where',
  apply: (qb, _k, plan) => applyWhere(qb, AUDIENCE, plan.job.audience.where),
};

const segmentsRule: Rule = {
  name: 'segments',
  apply(qb, k, plan) {
    const segments = plan.job.audience.segments!;
    for (const { dimension, segments: allowed } of segments.dimensions) {
      if (segments.table === undefined) {
        whereValues(qb, `${AUDIENCE}.${dimension}`, allowed);
        continue;
      }
      const key = segments.key ?? plan.job.audience.key;
      qb.whereExists((sub) => {
        const rows = samePersonRows(sub, k, segments.table!, 's', key, keyOf(plan));
        whereValues(whereCompare(rows, 's.dimension', '=', dimension), 's.segment', allowed);
      });
    }
  },
};

const tagsRule: Rule = {
  name: 'tags',
  apply(qb, k, plan) {
    const tags = plan.job.audience.tags!;
    const key = tags.key ?? plan.job.audience.key;
    const tagExists = (sub: Knex.QueryBuilder, values: string[]) =>
      whereValues(samePersonRows(sub, k, tags.table, 't', key, keyOf(plan)), `t.${tags.column}`, values);
    // One EXISTS per required tag: each can use the (key, tag) index.
    for (const tag of tags.all ?? []) qb.whereExists((sub) => void tagExists(sub, [tag]));
    if (tags.any) qb.whereExists((sub) => void tagExists(sub, tags.any!));
    if (tags.none) qb.whereNotExists((sub) => void tagExists(sub, tags.none!));
  },
};

const behaviourRule: Rule = { name: 'behaviour', apply: (qb, k, plan) => applyBehaviour(qb, k, plan, keyOf(plan)) };

const triggerRule: Rule = { name: 'trigger', apply: (qb, k, plan) => applyTrigger(qb, k, plan, keyOf(plan)) };

const convertedRule: Rule = {
  name: 'converted',
  apply(qb, k, plan) {
    const c = plan.job.exclude.converted!;
    const window = plan.convertedWindow!;
    qb.whereNotExists((sub) => {
      samePersonRows(sub, k, c.table, 'c', c.key ?? plan.job.audience.key, keyOf(plan))
        .where(`c.${c.time}`, '>=', naiveTime(k, plan.dialect, window.from))
        .where(`c.${c.time}`, '<', naiveTime(k, plan.dialect, window.to));
      applyPartition(sub, 'c', c.partition, window);
      applyWhere(sub, 'c', c.where);
    });
  },
};

const shardRule: Rule = { name: 'shard', apply: (qb, k, plan) => applyShard(qb, k, plan, keyOf(plan)) };

/** The rules this plan uses, in funnel order. */
export function rulesFor(plan: Plan): Rule[] {
  const { audience, trigger } = plan.job;
  const rules: Rule[] = [];
  if (plan.followUpKeys) rules.push(followUpRule);
  if (audience.where.length) rules.push(whereRule);
  if (audience.segments) rules.push(segmentsRule);
  if (audience.tags) rules.push(tagsRule);
  if (audience.behaviour) rules.push(behaviourRule);
  if (trigger) rules.push(triggerRule);
  if (plan.convertedInWarehouse) rules.push(convertedRule);
  if (plan.shard) rules.push(shardRule);
  return rules;
}
