// Routing by channel (issue 12): a destination with `channels:` takes only the leads going out
// on those channels. Every lead carries `channel` and `address` as its last two fields (when
// the job has contacts or a fallback list); a table destination keeps the channel in its own
// `channel` column instead, so the field is left out there.
import type { Destination, DestinationContext, Lead } from '../destinations/destination.ts';
import { REACH_FIELDS } from '../plan/reach-plan.ts';

export interface RouteOptions {
  /** The destination's `channels:`; undefined takes every lead. */
  channels?: readonly string[];
  /** Whether the leads carry the channel and address fields. */
  carryChannel: boolean;
  /** The leads that may still go out at the moment of handing them over (quiet hours: ReachStep.atDelivery). */
  atDelivery?: (leads: readonly Lead[]) => Promise<Lead[]>;
}

/** The destination as the pipeline sees it: filtered by channel, with the reach fields. */
export function routeByChannel(inner: Destination, options: RouteOptions): Destination {
  const takes = options.channels && new Set(options.channels);
  const dropChannelField = options.carryChannel && inner.type === 'table';
  const channelIndex = (ctx: DestinationContext) => ctx.fields.length;
  let index = -1;
  const shape = (lead: Lead): Lead =>
    dropChannelField ? { ...lead, values: lead.values.filter((_, i) => i !== index) } : lead;
  return {
    type: inner.type,
    target: inner.target,
    deliversOnClose: inner.deliversOnClose,
    batchSize: inner.batchSize,
    open(ctx) {
      index = channelIndex(ctx);
      const fields = options.carryChannel ? [...ctx.fields, ...REACH_FIELDS] : ctx.fields;
      const channel = options.channels?.length === 1 ? options.channels[0] : ctx.channel;
      return inner.open({
        ...ctx,
        channel,
        fields: dropChannelField ? fields.filter((_, i) => i !== index) : fields,
      });
    },
    async write(batch) {
      const routed = takes ? batch.filter((l) => l.channel !== undefined && takes.has(l.channel)) : batch;
      const mine = options.atDelivery && routed.length > 0 ? await options.atDelivery(routed) : routed;
      // A reshaped lead keeps its key and channel: what the ledger records from the results.
      return inner.write(dropChannelField ? mine.map(shape) : mine);
    },
    flush: inner.flush && (() => inner.flush!()),
    close: (outcome) => inner.close(outcome),
  };
}
