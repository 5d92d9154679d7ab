// `npm run bench [-- CASE...]`: runs the named benchmark cases, or every known case when none
// is named. A case is a module in this folder exporting `run(): Promise<void>`; add it to
// CASES below. Cases are imported lazily so one case's drivers never load for another.
const CASES: Record<string, () => Promise<{ run(): Promise<void> }>> = {
  offline: () => import('./offline.ts'),
  trigger: () => import('./trigger.ts'),
  webhook: () => import('./webhook.ts'),
};

async function main(names: string[]): Promise<void> {
  const unknown = names.filter((n) => !(n in CASES));
  if (unknown.length > 0) {
    process.stderr.write(`unknown bench case ${unknown.join(', ')}; known: ${Object.keys(CASES).join(', ')}\n`);
    process.exitCode = 2;
    return;
  }
  for (const name of names.length > 0 ? names : Object.keys(CASES)) {
    process.stdout.write(`\n=== bench: ${name} ===\n`);
    await (await CASES[name]()).run();
  }
}

await main(process.argv.slice(2));
