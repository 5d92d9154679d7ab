#!/usr/bin/env node
// Thin launcher. Runs the bundled JavaScript in dist/bundle/ (built by `npm ci` through
// `prepare`, see bin/build.js) when it is current; when any source file is newer (someone is editing), it runs the
// TypeScript sources through tsx instead, so a stale build can never answer for new code.
import { readdirSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));

function newestSource(dir) {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = `${dir}/${entry.name}`;
    newest = Math.max(newest, entry.isDirectory() ? newestSource(path) : statSync(path).mtimeMs);
  }
  return newest;
}

function distIsCurrent() {
  try {
    // A build from before the bundle existed has a stamp but no dist/bundle: not current.
    statSync(`${root}dist/bundle/main.js`);
    return statSync(`${root}dist/.built`).mtimeMs >= newestSource(`${root}src`);
  } catch {
    return false;
  }
}

let main;
if (process.env.CRM_LEADS_FROM_SOURCE !== '1' && distIsCurrent()) {
  ({ main } = await import('../dist/bundle/main.js'));
} else {
  const { register } = await import('tsx/esm/api');
  register();
  ({ main } = await import('../src/cli/main.ts'));
}
await main(process.argv);
