// The job spec: the contract with users. Keys and meanings as written in the issues;
// strict objects so that a misspelt key is an error with a suggestion, never ignored.
import { z } from 'zod';
import { aggregateKeys, hasAggregate, NEEDS_AGGREGATE } from './behaviour-schema.ts';
import { durationSchema, lookbackSchema } from './duration.ts';
import { identifierSchema, isIdentifier, tableNameSchema } from './identifier.ts';
import { timeZoneProblem } from './time-zone.ts';
import { whereSchema } from './where-schema.ts';
import { maskUrlLogin, parseLoginUrl } from '../url-login.ts';
import {
  consentSchema,
  contactsSchema,
  deliveredSchema,
  destinationChannels,
  leadChannel,
  quietHoursSchema,
  REACH_KEYS,
} from './reach-schema.ts';

const identifier = identifierSchema;
const tableName = tableNameSchema;
const duration = durationSchema();
/** How far a window reaches back from the run's time: s/m/h elapsed, d calendar days (duration.ts). */
const lookback = lookbackSchema();
/** A duration that may be zero (realtime.lateness, realtime.start). */
const durationOrZero = durationSchema({ allowZero: true, example: '30s' });
const text = z.union([z.string(), z.number()]).transform(String);
const textList = z.array(text).min(1);
const oneOrMany = z.union([text.transform((t) => [t]), textList]);

/** Hive partition pruning: a partition column and how its values are written. */
const partition = z.strictObject({
  column: identifier,
  format: z.enum(['yyyy-MM-dd', 'yyyyMMdd', 'yyyy-MM-dd-HH', 'yyyyMMddHH']).default('yyyy-MM-dd'),
});

const segments = z.record(z.string(), z.unknown()).transform((raw, ctx) => {
  const { table, key, ...dims } = raw;
  const out = {
    table: undefined as string | undefined,
    key: undefined as string | undefined,
    dimensions: [] as { dimension: string; segments: string[] }[],
  };
  if (table !== undefined) {
    const parsed = tableName.safeParse(table);
    if (parsed.success) out.table = parsed.data;
    else ctx.addIssue({ code: 'custom', path: ['table'], message: 'not a valid table name' });
  }
  if (key !== undefined) {
    if (typeof key === 'string' && isIdentifier(key)) out.key = key;
    else ctx.addIssue({ code: 'custom', path: ['key'], message: 'not a valid column name' });
  }
  for (const [dimension, value] of Object.entries(dims)) {
    const list = oneOrMany.safeParse(value);
    if (!list.success)
      ctx.addIssue({ code: 'custom', path: [dimension], message: 'expected a segment or a list of segments' });
    else if (out.table === undefined && !isIdentifier(dimension))
      ctx.addIssue({
        code: 'custom',
        path: [dimension],
        message: 'without segments.table a dimension is a column of audience.table: not a valid column name',
      });
    else out.dimensions.push({ dimension, segments: list.data });
  }
  if (out.dimensions.length === 0)
    ctx.addIssue({ code: 'custom', message: 'segments needs at least one dimension: allowed segments' });
  return out;
});

const tags = z
  .strictObject({
    table: tableName,
    key: identifier.optional(),
    column: identifier.default('tag'),
    all: textList.optional(),
    any: textList.optional(),
    none: textList.optional(),
  })
  .refine((t) => t.all || t.any || t.none, { message: 'tags needs at least one of all, any, none' });

/** Counted behaviour: rows of `table` in [at - within, at), per person (behaviour-schema.ts). */
const behaviour = z
  .strictObject({
    table: tableName,
    key: identifier.optional(),
    name: identifier.default('event_name'),
    time: identifier.default('event_time'),
    event: text.optional(),
    within: lookback,
    where: whereSchema,
    partition: partition.optional(),
    ...aggregateKeys,
  })
  .refine(hasAggregate, { message: NEEDS_AGGREGATE });

/** A reaction to a first touch: an event within `within` after the delivery (follow-up.ts). */
const response = z.strictObject({
  table: tableName,
  key: identifier.optional(),
  name: identifier.default('event_name'),
  time: identifier.default('event_time'),
  event: text,
  within: duration,
  where: whereSchema,
});

/** 二次触达: only people the named job delivered in [at - within, at) (src/run/follow-up.ts). */
const followUp = z
  .strictObject({
    job: z.string().regex(/^[a-z0-9][a-z0-9_-]*$/, { message: 'a job name (lower-case letters, digits, _ and -)' }),
    within: lookback,
    channel: z.string().min(1).optional(),
    responded: response.optional(),
    not_responded: response.optional(),
  })
  .refine((f) => !(f.responded && f.not_responded), {
    message: 'follow_up takes responded or not_responded, not both',
  });

const audience = z.strictObject({
  table: tableName,
  key: identifier.default('user_id'),
  where: whereSchema,
  segments: segments.optional(),
  tags: tags.optional(),
  behaviour: z.array(behaviour).min(1).optional(),
  follow_up: followUp.optional(),
});

/**
 * B (not_followed_by) or a followed_by step. Optional: its own table of the same connection
 * (columns key/name/time default to the trigger's), item conditions through the trigger's item
 * table or its own (table/key/event_key), and same_item: on the same item as A.
 */
const sequenceStep = z.strictObject({
  event: text,
  within: duration,
  where: whereSchema,
  table: tableName.optional(),
  key: identifier.optional(),
  name: identifier.optional(),
  time: identifier.optional(),
  partition: partition.optional(),
  item: z
    .strictObject({
      table: tableName.optional(),
      key: identifier.optional(),
      event_key: identifier.optional(),
      where: whereSchema,
    })
    .optional(),
  same_item: z.boolean().optional(),
});

const trigger = z.strictObject({
  table: tableName,
  key: identifier.optional(),
  name: identifier.default('event_name'),
  time: identifier.default('event_time'),
  /** A unique event id: among events at the same time, the greatest (as text) is A. */
  id: identifier.optional(),
  event: text,
  within: lookback,
  where: whereSchema,
  partition: partition.optional(),
  item: z
    .strictObject({
      table: tableName,
      key: identifier.default('item_id'),
      event_key: identifier.optional(),
      where: whereSchema,
    })
    .optional(),
  not_followed_by: sequenceStep.optional(),
  followed_by: z.array(sequenceStep).min(1).optional(),
  /** The whole chain (its last step) within this of A. */
  followed_within: duration.optional(),
});

const converted = z.strictObject({
  source: z.string().optional(),
  table: tableName,
  key: identifier.optional(),
  time: identifier,
  within: lookback,
  where: whereSchema,
  partition: partition.optional(),
});

/**
 * realtime: how `crm-leads watch` slices time for this job (issue 11). Seconds.
 * every: tick interval (default 1m, at least 1s); lateness: how long after its event_time a
 * row may still land in the table (default 1m); start: on the very first start, how far back
 * to begin (default 0s: from now).
 */
const realtime = z.strictObject({
  every: duration.default(60),
  lateness: durationOrZero.default(60),
  start: durationOrZero.default(0),
});

/** A job without a realtime block watches with these (seconds). */
export const REALTIME_DEFAULTS = { every: 60, lateness: 60, start: 0 } as const;

/** follow_up.X lead fields: filled in the stream from the state store, not read from the warehouse. */
export const FOLLOW_UP_FIELDS = ['follow_up.delivered_at', 'follow_up.channel'] as const;

const fieldRef = z
  .string()
  .refine(
    (s) =>
      isIdentifier(s) ||
      /^trigger\.(item\.)?[A-Za-z_][A-Za-z0-9_]*$/.test(s) ||
      (FOLLOW_UP_FIELDS as readonly string[]).includes(s),
    { message: 'not a column name (or trigger.COLUMN, trigger.item.COLUMN)' },
  );

const fields = z
  .union([
    z
      .array(fieldRef)
      .min(1)
      .transform((list) => list.map((column) => ({ name: column, column }))),
    z
      // Output names are any non-empty text (姓名, 手机号) for csv, xlsx and webhook; a table
      // destination needs identifiers, checked in load-job.ts where the destinations are known.
      .record(
        z.string().refine((name) => name.trim() !== '', { message: 'an output field name cannot be empty' }),
        fieldRef,
      )
      .transform((map) => Object.entries(map).map(([name, column]) => ({ name, column }))),
  ])
  .refine((list) => list.length > 0, { message: 'lead.fields needs at least one field' });

const lead = z.strictObject({
  fields,
  require: z.array(z.string()).default([]),
  order_by: z.record(identifier, z.enum(['asc', 'desc'])).optional(),
  limit: z.number().int().positive().optional(),
  channel: leadChannel.optional(),
});

const csvDestination = z.strictObject({
  type: z.literal('csv'),
  path: z.string().min(1),
  // replace: each run writes the file anew; append: each run adds its leads under the header.
  mode: z.enum(['replace', 'append']).default('replace'),
  bom: z.boolean().default(true),
  channels: destinationChannels,
});
// Excel forbids these in sheet names; the length is cut to 31 at write time (xlsx.ts).
const sheetName = z.string().refine((s) => s.trim() !== '' && !/[[\]:*?/\\]/.test(s) && !/^'|'$/.test(s), {
  message: "not a sheet name: Excel forbids [ ] : * ? / \\ and a leading or trailing '",
});
const xlsxDestination = z.strictObject({
  type: z.literal('xlsx'),
  path: z.string().min(1),
  sheet: sheetName.optional(),
  // A workbook is written whole (a zip): adding rows to last run's would mean rewriting it.
  mode: z
    .enum(['replace'], {
      error: 'an xlsx workbook is written whole, it has no mode: append; put {{date}} or {{run_id}} in the path',
    })
    .optional(),
  text: z.array(z.string()).optional(),
  number: z.array(z.string()).optional(),
  channels: destinationChannels,
});
// Only HTTP(S): fetch would refuse file:, ftp: or javascript: at run time, after a ledger row. A
// user name or password that does not decode would fail at the first request (Basic auth).
function webhookUrlProblem(text: string): string | undefined {
  const parsed = parseLoginUrl(text);
  const shown = `"${maskUrlLogin(text)}"`;
  if ('problem' in parsed)
    return parsed.problem === 'not a URL'
      ? `${shown} is not a URL: write it as https://host/path`
      : `${shown}: ${parsed.problem}`;
  if (!/^https?:$/i.test(parsed.url.protocol))
    return `a webhook url must start with http:// or https://; ${shown} does not`;
  return undefined;
}

const webhookDestination = z.strictObject({
  type: z.literal('webhook'),
  url: z.string().superRefine((u, ctx) => {
    const problem = webhookUrlProblem(u);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  }),
  secret: z.string().min(1).optional(),
  headers: z.record(z.string(), z.string()).default({}),
  batch_size: z.number().int().positive().max(10000).default(500),
  concurrency: z.number().int().positive().max(64).default(4),
  max_requests_per_second: z.number().positive().optional(),
  timeout: duration.default(30),
  max_retries: z.number().int().min(0).max(20).default(6),
  channels: destinationChannels,
});
const tableDestination = z.strictObject({
  type: z.literal('table'),
  connection: z.string().min(1),
  table: tableName,
  mode: z.enum(['insert', 'upsert']).default('insert'),
  batch_size: z.number().int().positive().max(10000).default(1000),
  channels: destinationChannels,
});
const destination = z.discriminatedUnion('type', [
  csvDestination,
  xlsxDestination,
  webhookDestination,
  tableDestination,
]);

export const jobSchema = z.strictObject({
  name: z.string().regex(/^[a-z0-9][a-z0-9_-]*$/, {
    message: 'a job name is lower-case letters, digits, _ and -, starting with a letter or digit',
  }),
  description: z.string().optional(),
  source: z.string().min(1),
  timezone: z
    .string()
    .default('UTC')
    .superRefine((zone, ctx) => {
      const problem = timeZoneProblem(zone);
      if (problem) ctx.addIssue({ code: 'custom', message: problem });
    }),
  schedule: z.string().optional(),
  realtime: realtime.optional(),
  audience,
  trigger: trigger.optional(),
  contacts: contactsSchema.optional(),
  consent: consentSchema.optional(),
  quiet_hours: quietHoursSchema.optional(),
  exclude: z.strictObject({ converted: converted.optional(), delivered: deliveredSchema.optional() }).default({}),
  lead,
  destinations: z.array(destination).default([]),
});

export type RawJob = z.output<typeof jobSchema>;
export type RealtimeSpec = z.output<typeof realtime>;
export type BehaviourSpec = z.output<typeof behaviour>;
export type FollowUpSpec = z.output<typeof followUp>;
export type ResponseSpec = z.output<typeof response>;
export type SequenceStepSpec = z.output<typeof sequenceStep>;
export type TriggerSpec = z.output<typeof trigger>;
export type DestinationSpec = z.output<typeof destination>;
export type CsvDestinationSpec = z.output<typeof csvDestination>;
export type XlsxDestinationSpec = z.output<typeof xlsxDestination>;
export type WebhookDestinationSpec = z.output<typeof webhookDestination>;
export type TableDestinationSpec = z.output<typeof tableDestination>;

// Keys users most often put one level too high or in the wrong section, and where they belong.
// (A key that exists elsewhere in the spec would otherwise be answered with itself: "did you
// mean "within"?".)
/** Where the keys users most often misplace belong, for the "unknown key" message. */
export const JOB_KEY_PLACES: Readonly<Record<string, string>> = {
  table: 'audience.table, trigger.table or audience.behaviour[N].table',
  key: 'audience.key',
  where: 'audience.where, trigger.where or audience.behaviour[N].where',
  segments: 'audience.segments',
  tags: 'audience.tags',
  follow_up: 'audience.follow_up',
  behaviour: 'audience.behaviour',
  event: 'trigger.event, trigger.not_followed_by.event or audience.behaviour[N].event',
  within: 'trigger.within, trigger.not_followed_by.within, audience.behaviour[N].within or exclude.delivered',
  not_followed_by: 'trigger.not_followed_by',
  followed_by: 'trigger.followed_by',
  item: 'trigger.item',
  fields: 'lead.fields',
  limit: 'lead.limit',
  require: 'lead.require',
  order_by: 'lead.order_by',
  channel: 'lead.channel',
  converted: 'exclude.converted',
  delivered: 'exclude.delivered',
  every: 'realtime.every',
  lateness: 'realtime.lateness',
};

/** Every key the job spec knows: the vocabulary for "did you mean". */
export const JOB_KEYS = [
  'name',
  'description',
  'source',
  'timezone',
  'schedule',
  'realtime',
  'every',
  'lateness',
  'start',
  'audience',
  'table',
  'key',
  'where',
  'segments',
  'tags',
  'column',
  'all',
  'any',
  'none',
  'trigger',
  'event',
  'within',
  'item',
  'event_key',
  'id',
  'not_followed_by',
  'followed_by',
  'followed_within',
  'follow_up',
  'responded',
  'not_responded',
  'job',
  'same_item',
  'partition',
  'format',
  'time',
  'exclude',
  'converted',
  'delivered',
  'scope',
  'lead',
  'fields',
  'require',
  'order_by',
  'limit',
  'channel',
  'destinations',
  'behaviour',
  'count',
  'sum',
  'min',
  'max',
  'avg',
  'type',
  'path',
  'bom',
  'sheet',
  'text',
  'number',
  'url',
  'secret',
  'headers',
  'batch_size',
  'concurrency',
  'max_requests_per_second',
  'timeout',
  'max_retries',
  'connection',
  'mode',
  ...REACH_KEYS,
];
