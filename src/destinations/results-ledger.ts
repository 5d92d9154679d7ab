// The results ledger of one destination: every lead acknowledged or failed for good, counted for
// the summary, and kept until the pipeline takes them (so the run ledger records them batch by
// batch). Not the run ledger in src/state: this one lives in memory for one destination.
import type { Lead, WriteResult } from './destination.ts';

export interface ResultsLedger {
  /** Leads the receiver acknowledged (or the table committed). */
  delivered(leads: readonly Lead[]): void;
  /** Leads that failed for good, each with the same error line. */
  failed(leads: readonly Lead[], error: string): void;
  /** Results recorded since the last take(), handed over once; the ledger keeps only the counts. */
  take(): WriteResult;
  /** Totals since the destination opened, in leads. */
  counts(): { delivered: number; failed: number };
}

export function resultsLedger(): ResultsLedger {
  let pending: WriteResult = { delivered: [], failed: [] };
  let delivered = 0;
  let failed = 0;
  return {
    delivered(leads) {
      delivered += leads.length;
      // Usually one batch between takes: kept as the array it came in (nobody changes a batch
      // once sent), not copied lead by lead; a second batch makes a new array.
      pending.delivered = pending.delivered.length === 0 ? (leads as Lead[]) : pending.delivered.concat(leads);
    },
    failed(leads, error) {
      failed += leads.length;
      for (const lead of leads) pending.failed.push({ lead, error });
    },
    take() {
      const out = pending;
      pending = { delivered: [], failed: [] };
      return out;
    },
    counts: () => ({ delivered, failed }),
  };
}
