// The reach part of the job spec (issue 12): where each channel's address lives (contacts),
// opt-outs (consent), the channel or ordered fallback of channels (lead.channel), quiet hours
// per channel, and the cooldown as a list of frequency-cap rules (exclude.delivered).
import { z } from 'zod';
import { durationSchema, type Lookback, lookbackSchema } from './duration.ts';
import { identifierSchema, tableNameSchema } from './identifier.ts';
import { whereSchema } from './where-schema.ts';

const identifier = identifierSchema;
const tableName = tableNameSchema;
const duration = durationSchema();
const lookback = lookbackSchema();

/**
 * A channel name as the ledger stores it (at most 100 characters). The seed's channels are
 * wecom (企微推送), wechat (微信公众号), app_push (APP推送), sms (短信), outbound_call (人工外呼)
 * and robocall (智能外呼); any other name (a company's own channel) is allowed.
 */
export const channelName = z
  .string()
  .min(1)
  .max(100)
  .refine((s) => s !== '*', { message: '"*" means every channel in consent rows; it is not a channel name' });

/** lead.channel: one channel (the old form, a label) or an ordered fallback list, normalised to a list. */
export const leadChannel = z.union([
  channelName.transform((c) => [c]),
  z
    .array(channelName)
    .min(1)
    .refine((list) => new Set(list).size === list.length, { message: 'a channel appears twice in the list' }),
]);

/**
 * contacts: the person's id bound on each channel. Long form: a table of (key, channel,
 * address) rows; columns form: one column of the audience table per channel.
 */
export const contactsSchema = z
  .strictObject({
    table: tableName.optional(),
    key: identifier.optional(),
    channel: identifier.default('channel'),
    address: identifier.default('address'),
    where: whereSchema,
    columns: z.record(channelName, identifier).optional(),
  })
  .superRefine((c, ctx) => {
    if ((c.table === undefined) === (c.columns === undefined))
      ctx.addIssue({
        code: 'custom',
        message: 'contacts needs either table (one row per person and channel) or columns (one per channel)',
      });
    if (c.columns !== undefined && (c.key !== undefined || c.where.length > 0))
      ctx.addIssue({
        code: 'custom',
        message: 'contacts.columns are columns of audience.table: key and where belong to the table form',
      });
  });

/** consent: opt-out rows (key, channel, time); channel '*' or NULL opts out of every channel. */
export const consentSchema = z.strictObject({
  source: z.string().min(1).optional(),
  table: tableName,
  key: identifier.optional(),
  channel: identifier.default('channel'),
  time: identifier.default('opted_out_at'),
  where: whereSchema,
});

const CLOCK = /^([01]\d|2[0-3]):([0-5]\d)-([01]\d|2[0-3]):([0-5]\d)$/;

/** A quiet period of the day, seconds after local midnight; end < start crosses midnight. */
export interface QuietPeriod {
  start: number;
  end: number;
  text: string;
}

const quietPeriod = z.string().transform((s, ctx) => {
  const m = CLOCK.exec(s.trim());
  if (!m) {
    ctx.addIssue({
      code: 'custom',
      message: 'quiet hours are written "HH:MM-HH:MM" in 24-hour time, e.g. "21:00-09:00"',
    });
    return z.NEVER;
  }
  const start = Number(m[1]) * 3600 + Number(m[2]) * 60;
  const end = Number(m[3]) * 3600 + Number(m[4]) * 60;
  if (start === end) {
    ctx.addIssue({ code: 'custom', message: 'quiet hours that start and end at the same minute are empty' });
    return z.NEVER;
  }
  return { start, end, text: s.trim() } as QuietPeriod;
});

/** quiet_hours: { CHANNEL: "HH:MM-HH:MM", ..., hold: DURATION (default 12h) }. */
export const quietHoursSchema = z.record(z.string(), z.unknown()).transform((raw, ctx) => {
  const { hold, ...periods } = raw;
  const out = { hold: 12 * 3600, channels: {} as Record<string, QuietPeriod> };
  if (hold !== undefined) {
    const parsed = duration.safeParse(hold);
    if (parsed.success) out.hold = parsed.data;
    else ctx.addIssue({ code: 'custom', path: ['hold'], message: parsed.error.issues[0].message });
  }
  for (const [channel, text] of Object.entries(periods)) {
    const parsed = quietPeriod.safeParse(text);
    if (parsed.success) out.channels[channel] = parsed.data;
    else ctx.addIssue({ code: 'custom', path: [channel], message: parsed.error.issues[0].message });
  }
  return out;
});

/** One cooldown / frequency-cap rule: at most `max` deliveries in [at - within, at). */
export interface DeliveredRule {
  /** How far back deliveries count: s/m/h elapsed, d calendar days (duration.ts). */
  within: Lookback;
  scope: 'job' | 'all';
  /** Only deliveries on this channel count (and only leads going out on it are capped). */
  channel?: string;
  /** Deliveries a person may have had in the window; 1 is the plain cooldown. */
  max: number;
  /** Written in an old form (`7d`, `{ within, scope }`): its drops count as `delivered`, not `capped`. */
  legacy: boolean;
}

const deliveredRule = z.strictObject({
  within: lookback,
  scope: z.enum(['job', 'all']).default('job'),
  channel: channelName.optional(),
  max: z.number().int().positive().optional(),
});

const toRule = (r: z.output<typeof deliveredRule>): DeliveredRule => ({
  within: r.within,
  scope: r.scope,
  channel: r.channel,
  max: r.max ?? 1,
  legacy: false,
});

const deliveredList = z
  .array(deliveredRule)
  .min(1)
  .transform((list) => list.map(toRule));
const deliveredObject = deliveredRule.transform((r): DeliveredRule[] => [
  { ...toRule(r), legacy: r.channel === undefined && r.max === undefined },
]);
const deliveredDuration = lookback.transform((within): DeliveredRule[] => [
  { within, scope: 'job', max: 1, legacy: true },
]);

/**
 * exclude.delivered: `7d`, `{ within, scope }` (old forms) or a list of rules; always a list.
 * The form is chosen by the value's shape, so that a mistake inside a rule is reported at the
 * rule's key (a plain union would only say "not a valid value here").
 */
export const deliveredSchema = z.unknown().transform((value, ctx): DeliveredRule[] => {
  const schema = Array.isArray(value)
    ? deliveredList
    : value !== null && typeof value === 'object'
      ? deliveredObject
      : deliveredDuration;
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  for (const issue of parsed.error.issues) ctx.addIssue({ ...issue, path: issue.path } as never);
  return z.NEVER;
});

/** destinations[].channels: the destination takes only leads going out on these channels. */
export const destinationChannels = z.array(channelName).min(1).optional();

export type ContactsSpec = z.output<typeof contactsSchema>;
export type ConsentSpec = z.output<typeof consentSchema>;
export type QuietHoursSpec = z.output<typeof quietHoursSchema>;

export const REACH_KEYS = ['contacts', 'consent', 'quiet_hours', 'hold', 'columns', 'address', 'max', 'channels'];
