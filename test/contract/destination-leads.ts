// The contract's leads and run context, shared by the suite and its child process (no vitest here).
import type { ConnectionSpec } from '../../src/config/connection-schema.ts';
import type { DestinationSpec } from '../../src/config/job-schema.ts';
import type { DestinationContext, Lead } from '../../src/destinations/destination.ts';
import { resolveRunTime } from '../../src/plan/time.ts';

/** The crash test's instructions to destination-child.ts. */
export interface CrashOrder {
  spec: DestinationSpec;
  connections: [string, ConnectionSpec][];
  runId: string;
  from: number;
  count: number;
  batch: number;
}

export const CONTRACT_FIELDS = ['user_id', 'name', 'phone'];
const AT = resolveRunTime('2026-11-23T09:00:00', 'Asia/Shanghai');

/** The context every contract run opens with: person key user_id, channel outbound_call. */
export function contractContext(runId: string): DestinationContext {
  return { job: 'contract', runId, at: AT, fields: CONTRACT_FIELDS, channel: 'outbound_call', keyName: 'user_id' };
}

// Text that breaks naive writers: CSV quoting, JSON escaping, SQL quoting, multi-byte UTF-8.
export const HARD_NAMES = [
  '张三',
  '欧阳娜娜 (上海)',
  '😀 emoji',
  'O\'Brien "the" quoted',
  'comma, inside',
  'line\nbreak',
  'cr\r\nlf',
  'tab\there',
  'back\\slash\\',
  "'; DROP TABLE leads; --",
  '{"json": [1, 2]}',
  '全角＝等号',
  ' spaced ',
];

/** Leads from..from+count-1: key n, values [n, a name (hard ones first), a phone]. */
export function contractLeads(from: number, count: number): Lead[] {
  return Array.from({ length: count }, (_, i) => {
    const n = from + i;
    return {
      key: String(n),
      values: [String(n), HARD_NAMES[i] ?? `person ${n}`, `1380000${String(n).padStart(4, '0')}`],
    };
  });
}

/** What the child reports before it is killed. */
export interface CrashReport {
  written: number;
  /** Keys write() reported delivered. */
  reported: string[];
  deliversOnClose: boolean;
  batchSize?: number;
}
