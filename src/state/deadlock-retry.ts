// Two runs writing the same ledger rows at once (claims, deliveries of overlapping people) can
// deadlock on a server ledger: InnoDB and PostgreSQL then roll one statement or transaction back
// and expect the client to run it again. MySQL's manual: "Always be prepared to re-issue a
// transaction if it fails due to deadlock" (InnoDB Locking and Transaction Model, "How to
// Minimize and Handle Deadlocks"); PostgreSQL reports 40P01 and, under serializable, 40001.

/** Error codes of a statement or transaction the server rolled back only to break a deadlock. */
const RETRYABLE = new Set(['ER_LOCK_DEADLOCK', '40P01', '40001']);

/** Attempts in all before the deadlock error is thrown as it is. */
export const DEADLOCK_ATTEMPTS = 6;

/** Whether the server rolled `err` back to break a deadlock (running it again is safe). */
export function isDeadlock(err: unknown): boolean {
  return RETRYABLE.has(String((err as { code?: unknown })?.code ?? ''));
}

/**
 * Runs `work` (one statement, or a whole transaction) again while the server rolls it back for
 * a deadlock, after a short random pause (10–60 ms, growing) so that the two sides do not meet
 * again. `work` must be safe to repeat: the rolled-back attempt left nothing behind.
 * @throws whatever `work` throws that is not a deadlock, or the last deadlock after DEADLOCK_ATTEMPTS.
 */
export async function retryingDeadlocks<T>(work: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await work();
    } catch (err) {
      if (!isDeadlock(err) || attempt >= DEADLOCK_ATTEMPTS) throw err;
      await new Promise((resolve) => setTimeout(resolve, attempt * (10 + Math.random() * 50)));
    }
  }
}

/**
 * One ledger statement, run again on a deadlock when it is its own transaction. Inside a
 * transaction (`knex.isTransaction`) the server has rolled back the whole transaction, so only
 * the transaction can be run again (inTransaction does that): the error goes up as it is.
 */
export function ledgerStatement<T>(knex: { isTransaction?: boolean }, work: () => Promise<T>): Promise<T> {
  return knex.isTransaction ? work() : retryingDeadlocks(work);
}
