// Trigger rules that span keys (issue 13): item conditions and same_item on B and the steps
// need an item table to read (their own, or the trigger's), and followed_within a chain.
// Each problem is reported at the key that is wrong.
import type { SpecIssue } from '../errors.ts';
import type { RawJob } from './job-schema.ts';
import { issueAt, type YamlSource } from './yaml-source.ts';

export function checkTrigger(job: RawJob, source: YamlSource, issues: SpecIssue[]): void {
  const t = job.trigger;
  job.lead.fields.forEach((f, i) => {
    if (f.column.startsWith('follow_up.') && !job.audience.follow_up)
      issues.push(issueAt(source, ['lead', 'fields', i], `${f.column} needs audience.follow_up`));
  });
  job.lead.fields.forEach((f, i) => {
    if (f.column.startsWith('trigger.item.') && t && !t.item)
      issues.push(issueAt(source, ['lead', 'fields', i], `${f.column} needs trigger.item (the item table to read)`));
  });
  if (!t) return;
  const steps: [PropertyKey[], NonNullable<typeof t.not_followed_by>][] = [];
  if (t.not_followed_by) steps.push([['trigger', 'not_followed_by'], t.not_followed_by]);
  for (const [i, step] of (t.followed_by ?? []).entries()) steps.push([['trigger', 'followed_by', i], step]);
  for (const [path, step] of steps) {
    if (step.item && !step.item.table && !t.item)
      issues.push(
        issueAt(source, [...path, 'item'], 'item needs table: (and key:), or a trigger.item whose table it uses'),
      );
    if (step.same_item && !t.item)
      issues.push(
        issueAt(source, [...path, 'same_item'], "same_item needs trigger.item: it names the events' item column"),
      );
  }
  if (t.followed_within !== undefined && !t.followed_by)
    issues.push(issueAt(source, ['trigger', 'followed_within'], 'followed_within needs followed_by steps'));
}
