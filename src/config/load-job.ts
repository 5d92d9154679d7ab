// Job file -> typed, normalised Job. Problems are collected as data (file, line, column,
// key) and thrown together as one SpecError; nothing here prints or connects.
import { resolve } from 'node:path';
import { SpecError, type SpecIssue } from '../errors.ts';
import { registerSecret } from '../secrets.ts';
import { decodeUrlPart } from '../url-login.ts';
import type { Connections } from './load-connections.ts';
import { interpolateEnv } from './interpolate.ts';
import { checkScalarFidelity } from './scalar-fidelity.ts';
import { JOB_KEY_PLACES, JOB_KEYS, jobSchema, type RawJob } from './job-schema.ts';
import { isSeq } from 'yaml';
import { isIdentifier } from './identifier.ts';
import { issueAt, readYamlSource, type YamlSource } from './yaml-source.ts';
import { zodIssues } from './zod-issues.ts';
import { nextFireTimes, validateSchedule } from './schedule-check.ts';
import { fillPathTemplate, unknownPlaceholder } from './path-template.ts';
import { DateTime } from 'luxon';
import { checkReach } from './reach-check.ts';
import { checkTrigger } from './trigger-check.ts';

export type Job = RawJob & {
  file: string;
  /** What `validate` warns about without refusing the job (a job without timezone: UTC assumed). */
  warnings?: SpecIssue[];
};

export function loadJob(file: string, connections: Connections | undefined, env = process.env, text?: string): Job {
  const path = resolve(file);
  const source = readYamlSource(path, text);
  const issues: SpecIssue[] = [];
  interpolateEnv(source, env, issues);
  checkScalarFidelity(source, issues);
  if (issues.length) throw new SpecError(issues);
  const raw = source.doc.toJS();
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw))
    throw new SpecError([
      {
        file: path,
        line: 1,
        column: 1,
        message: 'a job file is a YAML map of keys (name, source, audience, lead, ...)',
      },
    ]);
  const parsed = jobSchema.safeParse(raw);
  if (!parsed.success) throw new SpecError(zodIssues(source, parsed.error, JOB_KEYS, [], JOB_KEY_PLACES));
  const job: Job = { ...parsed.data, file: path };
  if ((raw as { timezone?: unknown }).timezone === undefined)
    job.warnings = [
      {
        file: path,
        key: 'timezone',
        message:
          'not set: the warehouse times are read as UTC; write the zone they are in, an IANA name such as timezone: Asia/Shanghai',
      },
    ];
  crossCheck(job, source, connections, issues);
  if (issues.length) throw new SpecError(issues);
  for (const d of job.destinations) {
    if (d.type === 'webhook') {
      registerSecret(d.secret);
      for (const value of Object.values(d.headers)) registerSecret(value.replace(/^(Bearer|Basic|Token)\s+/i, ''));
      registerSecret(d.headers.Authorization ?? d.headers.authorization);
      registerUrlCredentials(d.url);
    }
  }
  return job;
}

// Rules that span keys (or files): each reported at the key that is wrong.
function crossCheck(job: Job, source: YamlSource, connections: Connections | undefined, issues: SpecIssue[]): void {
  const needConnection = (name: string | undefined, path: PropertyKey[]) => {
    if (name === undefined || !connections || connections.byName.has(name)) return;
    const known = [...connections.byName.keys()].join(', ') || 'none';
    issues.push(issueAt(source, path, `unknown connection "${name}" (in ${connections.file}: ${known})`));
  };
  needConnection(job.source, ['source']);
  needConnection(job.exclude.converted?.source, ['exclude', 'converted', 'source']);
  needConnection(job.consent?.source, ['consent', 'source']);
  job.destinations.forEach((d, i) => {
    if (d.type === 'table') needConnection(d.connection, ['destinations', i, 'connection']);
  });

  const fieldNames = job.lead.fields.map((f) => f.name);
  const seen = new Set<string>();
  // A field is an item of a list (its index) or a key of a map (pointed at the key itself).
  const fieldIssue = (i: number, name: string, message: string) =>
    isSeq(source.doc.getIn(['lead', 'fields']))
      ? issueAt(source, ['lead', 'fields', i], message)
      : issueAt(source, ['lead', 'fields', name], message, true);
  const table = job.destinations.findIndex((d) => d.type === 'table');
  const webhook = job.destinations.findIndex((d) => d.type === 'webhook');
  job.lead.fields.forEach((f, i) => {
    if (seen.has(f.name)) issues.push(fieldIssue(i, f.name, `field "${f.name}" appears twice`));
    seen.add(f.name);
    if (table >= 0 && !isIdentifier(f.name))
      issues.push(
        fieldIssue(
          i,
          f.name,
          `"${f.name}" cannot be a column of the table destination (destinations[${table}]): a table needs names of letters, digits and _; rename the field or write to csv, xlsx or webhook`,
        ),
      );
    if (webhook >= 0 && f.name === 'key' && f.column !== job.audience.key)
      issues.push(
        fieldIssue(
          i,
          f.name,
          `a field named "key" (column ${f.column}) would collide with the person key (${job.audience.key}) that the webhook destination (destinations[${webhook}]) sends as "key" in each lead; rename the field, e.g. lead.fields: { ${f.column === 'key' ? 'key_value' : f.column}: ${f.column} }`,
        ),
      );
    if (f.column.startsWith('trigger.') && !job.trigger)
      issues.push(issueAt(source, ['lead', 'fields'], `${f.column} needs a trigger block`));
  });
  job.lead.require.forEach((name, i) => {
    if (!fieldNames.includes(name))
      issues.push(
        issueAt(source, ['lead', 'require', i], `"${name}" is not one of lead.fields (${fieldNames.join(', ')})`),
      );
  });
  job.destinations.forEach((d, i) => {
    if (d.type !== 'xlsx') return;
    for (const key of ['text', 'number'] as const)
      d[key]?.forEach((name, j) => {
        if (!fieldNames.includes(name))
          issues.push(
            issueAt(
              source,
              ['destinations', i, key, j],
              `"${name}" is not one of lead.fields (${fieldNames.join(', ')})`,
            ),
          );
      });
  });
  job.destinations.forEach((d, i) => {
    const unknown = (d.type === 'csv' || d.type === 'xlsx') && unknownPlaceholder(d.path);
    if (unknown)
      issues.push(
        issueAt(
          source,
          ['destinations', i, 'path'],
          `"${d.path}": unknown placeholder ${unknown}; use {{job}}, {{date}} or {{run_id}}`,
        ),
      );
  });
  checkReach(job, source, issues);
  checkTrigger(job, source, issues);
  if (job.schedule !== undefined) {
    const problem = validateSchedule(job.schedule);
    if (problem) issues.push(issueAt(source, ['schedule'], problem));
    else checkFilesNotOverwritten(job, source, issues);
  }
}

// A webhook URL's user:password is sent as an Authorization: Basic header; a receiver that
// quotes it back would otherwise leak the password in its base64 form.
// (Only the password: the URL itself is printed, without it, as the destination's target.)
function registerUrlCredentials(text: string): void {
  const url = new URL(text);
  if (!url.password) return;
  registerSecret(url.password);
  registerSecret(decodeUrlPart(url.password));
  registerSecret(Buffer.from(`${decodeUrlPart(url.username)}:${decodeUrlPart(url.password)}`).toString('base64'));
}

// A file destination never destroys leads an earlier run recorded as delivered (issue 10): a run
// that replaces the file of the run before it loses that run's leads, which are in the cooldown
// and will not be sent again. So the path template must resolve to another file for each of the
// schedule's next runs (compared pairwise, consecutive fire times), unless a csv appends. Every
// day of a cron schedule fires at the same times of day, so a few fire times tell it all.
const FIRE_TIMES_CHECKED = 8;

function checkFilesNotOverwritten(job: Job, source: YamlSource, issues: SpecIssue[]): void {
  if (!job.schedule) return;
  const files = job.destinations.filter((d) => d.type === 'csv' || d.type === 'xlsx');
  if (!files.some((d) => d.type === 'xlsx' || d.mode !== 'append')) return;
  const fires = nextFireTimes(job.schedule, job.timezone, FIRE_TIMES_CHECKED).map((t, n) => ({
    local: DateTime.fromJSDate(t, { zone: job.timezone }),
    runId: `run${n}`,
  }));
  job.destinations.forEach((d, i) => {
    if ((d.type !== 'csv' && d.type !== 'xlsx') || (d.type === 'csv' && d.mode === 'append')) return;
    const path = (f: (typeof fires)[number]) =>
      fillPathTemplate(d.path, { job: job.name, runId: f.runId, date: f.local.toISODate()! });
    const n = fires.findIndex((f, k) => k > 0 && path(f) === path(fires[k - 1]));
    if (n < 0) return;
    const [first, second] = [fires[n - 1].local, fires[n].local];
    const sameDay = first.hasSame(second, 'day');
    const fix = sameDay
      ? `put {{run_id}} in the path (it runs more than once a day), e.g. out/{{job}}/{{date}}/{{run_id}}.${d.type}`
      : `put {{date}} or {{run_id}} in the path, e.g. out/{{job}}/{{date}}.${d.type}`;
    const append =
      d.type === 'csv'
        ? ", or add mode: append to add each run's leads under the header"
        : ' (an xlsx workbook is written whole: it has no mode: append)';
    issues.push(
      issueAt(
        source,
        ['destinations', i, 'path'],
        `"${d.path}": schedule "${job.schedule}" would write ${path(fires[n])} at ${first.toFormat(RUN_TIME)} and again at ` +
          `${second.toFormat(RUN_TIME)} (${job.timezone}), replacing the leads of the first run, which are already in ` +
          `the cooldown; ${fix}${append}`,
      ),
    );
  });
}

const RUN_TIME = 'yyyy-MM-dd HH:mm';
