// Job destinations (or the --csv override) -> Destination objects.
import type { Writable } from 'node:stream';
import type { Connections } from '../config/load-connections.ts';
import type { DestinationSpec } from '../config/job-schema.ts';
import { csvDestination } from './csv.ts';
import type { Destination } from './destination.ts';
import type { WebhookOptions } from './webhook.ts';

/** `webhook`: options for every webhook destination (watch stops a tick at its first failed batch). */
export async function createDestinations(
  specs: DestinationSpec[],
  connections: Connections,
  stdout?: Writable,
  options: { webhook?: WebhookOptions } = {},
): Promise<Destination[]> {
  const out: Destination[] = [];
  for (const spec of specs) {
    switch (spec.type) {
      case 'csv':
        out.push(csvDestination({ path: spec.path, bom: spec.bom, append: spec.mode === 'append', stdout }));
        break;
      case 'xlsx':
        out.push((await import('./xlsx.ts')).xlsxDestination(spec));
        break;
      case 'webhook':
        out.push((await import('./webhook.ts')).webhookDestination(spec, options.webhook));
        break;
      case 'table':
        out.push((await import('./table.ts')).tableDestination(spec, connections));
        break;
    }
  }
  return out;
}
