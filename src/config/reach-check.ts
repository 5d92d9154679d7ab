// Rules of the reach spec (issue 12) that span keys: each reported at the key that is wrong.
import type { SpecIssue } from '../errors.ts';
import type { RawJob } from './job-schema.ts';
import { suggest } from './suggest.ts';
import { issueAt, type YamlSource } from './yaml-source.ts';

/** Checks channels named in contacts, quiet_hours, caps and destinations against lead.channel. */
export function checkReach(job: RawJob, source: YamlSource, issues: SpecIssue[]): void {
  const channels = job.lead.channel ?? [];
  const listed = channels.join(', ');
  const unknown = (name: string, path: PropertyKey[], what: string) => {
    if (channels.includes(name)) return;
    const hint = suggest(name, channels);
    issues.push(
      issueAt(source, path, `channel "${name}" is not in lead.channel (${listed || 'none'})${hint}: ${what}`),
    );
  };
  for (const key of ['contacts', 'consent', 'quiet_hours'] as const) {
    if (job[key] !== undefined && channels.length === 0)
      issues.push(issueAt(source, [key], `${key} needs lead.channel: the channel, or channels in fallback order`));
  }
  if (channels.length === 0) {
    job.destinations.forEach((d, i) => {
      if (d.channels) issues.push(issueAt(source, ['destinations', i, 'channels'], 'channels needs lead.channel'));
    });
    return;
  }
  // Leads carry `channel` and `address` (contacts, or more than one channel): no field may take those names.
  if (job.contacts !== undefined || channels.length > 1)
    job.lead.fields.forEach((f, i) => {
      if (f.name === 'channel' || f.name === 'address')
        issues.push(
          issueAt(
            source,
            ['lead', 'fields', i],
            `"${f.name}" is the field each lead gets from lead.channel; rename this field`,
          ),
        );
    });
  const columns = job.contacts?.columns;
  if (columns) {
    // Columns of channels the job does not use are allowed: one contacts block fits every job.
    for (const name of channels)
      if (columns[name] === undefined)
        issues.push(issueAt(source, ['contacts', 'columns'], `no column for channel "${name}" of lead.channel`));
  }
  for (const name of Object.keys(job.quiet_hours?.channels ?? {}))
    unknown(name, ['quiet_hours', name], 'no lead goes out on it');
  const rules = Array.isArray(job.exclude.delivered) ? job.exclude.delivered : [];
  rules.forEach((rule, i) => {
    if (rule.channel !== undefined && rule.scope === 'job')
      unknown(
        rule.channel,
        ['exclude', 'delivered', i, 'channel'],
        'this job never delivers on it, so the rule caps nobody',
      );
  });
  // A destination with a channel no lead can have would stay empty: a mistake, said at validate.
  job.destinations.forEach((d, i) => {
    d.channels?.forEach((name, j) => {
      unknown(name, ['destinations', i, 'channels', j], 'no lead can reach this destination on it');
    });
  });
  // And a channel that no destination takes would send its leads nowhere.
  if (job.destinations.length > 0 && job.destinations.every((d) => d.channels !== undefined)) {
    const taken = new Set(job.destinations.flatMap((d) => d.channels ?? []));
    for (const name of channels)
      if (!taken.has(name))
        issues.push(
          issueAt(
            source,
            ['destinations'],
            `no destination takes channel "${name}" of lead.channel (add it to a destination's channels)`,
          ),
        );
  }
}
