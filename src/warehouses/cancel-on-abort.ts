// A long query must stop when the run is aborted (Ctrl-C, SIGTERM, scheduler grace over, lock
// lost), not only between batches: a sort or a join can hold the first row back for minutes.
// The cancel itself goes to the server on a second connection (KILL QUERY, pg_cancel_backend).
import { CancelledError } from '../errors.ts';

export function cancelOnAbort(signal: AbortSignal | undefined, cancel: () => Promise<void>): () => void {
  if (!signal) return () => {};
  const onAbort = () => void cancel().catch(() => {});
  if (signal.aborted) onAbort();
  else signal.addEventListener('abort', onAbort, { once: true });
  return () => signal.removeEventListener('abort', onAbort);
}

/** The error to throw once a query failed because the run was aborted. */
export function abortedError(connection: string, signal: AbortSignal | undefined): CancelledError | undefined {
  if (!signal?.aborted) return undefined;
  const reason =
    signal.reason instanceof Error && signal.reason.name !== 'AbortError' ? `: ${signal.reason.message}` : '';
  return new CancelledError(`${connection}: query cancelled${reason}`);
}
