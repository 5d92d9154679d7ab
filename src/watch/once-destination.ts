// A destination of a watch tick that skips the leads an earlier tick already delivered to it:
// the same (person, trigger event time). A slice decided twice (a restart after a crash, or a
// --from replay over a period already watched) sends each lead at most once per destination.
import type { Destination, DestinationContext, Lead, WriteResult } from '../destinations/destination.ts';
import { sentKey } from '../state/watermarks.ts';

export class OnceDestination implements Destination {
  /** Leads skipped because an earlier tick delivered them here. */
  skipped = 0;

  /**
   * @param sent sentKey(person, trigger time) already delivered to this destination
   * @param triggerTimeOf the trigger event time of each lead of the tick, by person key
   */
  constructor(
    private readonly inner: Destination,
    private readonly sent: ReadonlySet<string>,
    private readonly triggerTimeOf: ReadonlyMap<string, string>,
  ) {}

  get type() {
    return this.inner.type;
  }
  get target() {
    return this.inner.target;
  }
  get deliversOnClose() {
    return this.inner.deliversOnClose;
  }
  get batchSize() {
    return this.inner.batchSize;
  }

  open(ctx: DestinationContext): Promise<void> {
    return this.inner.open(ctx);
  }

  write(batch: Lead[]): Promise<WriteResult> {
    const fresh = this.sent.size === 0 ? batch : batch.filter((l) => !this.sent.has(this.keyOf(l)));
    this.skipped += batch.length - fresh.length;
    return this.inner.write(fresh);
  }

  flush(): Promise<WriteResult> {
    return this.inner.flush ? this.inner.flush() : Promise.resolve({ delivered: [], failed: [] });
  }

  close(outcome: 'ok' | 'failed') {
    return this.inner.close(outcome);
  }

  private keyOf(lead: Lead): string {
    return sentKey(lead.key, this.triggerTimeOf.get(lead.key) ?? '');
  }
}
