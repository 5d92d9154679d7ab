// The child process of the destination contract's crash test: opens a destination through the
// real registry, writes the leads it is given in batches WITHOUT flushing, prints one JSON line
// with the keys each write() reported delivered, and then waits to be killed (SIGKILL).
//   node --import tsx destination-child.ts '<json: CrashOrder>'
import { createDestinations } from '../../src/destinations/open-destinations.ts';
import { contractContext, contractLeads, type CrashOrder, type CrashReport } from './destination-leads.ts';

const order = JSON.parse(process.argv[2]) as CrashOrder;
const connections = { file: 'contract', byName: new Map(order.connections) };
const [destination] = await createDestinations([order.spec], connections);
await destination.open(contractContext(order.runId));
const reported: string[] = [];
const leads = contractLeads(order.from, order.count);
for (let i = 0; i < leads.length; i += order.batch) {
  const result = await destination.write(leads.slice(i, i + order.batch));
  reported.push(...result.delivered.map((l) => l.key));
}
const report: CrashReport = {
  written: leads.length,
  reported,
  deliversOnClose: destination.deliversOnClose,
  batchSize: destination.batchSize,
};
process.stdout.write(`${JSON.stringify(report)}\n`);
setInterval(() => {}, 60_000); // between write and flush, until killed
