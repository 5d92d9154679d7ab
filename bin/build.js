#!/usr/bin/env node
// `npm run build` (and `prepare`, so `npm ci` does it): compiles src/ to dist/ and stamps it;
// the launcher uses dist/ only while no source file is newer than the stamp.
import { execFileSync } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
rmSync(`${root}dist`, { recursive: true, force: true });
try {
  execFileSync(process.execPath, [tsc, '-p', `${root}tsconfig.build.json`], { stdio: 'inherit', cwd: root });
} catch {
  // Type errors still emit JavaScript; the stamp is written only for a clean build.
  process.exitCode = 1;
}
if (!process.exitCode) writeFileSync(`${root}dist/.built`, new Date().toISOString() + '\n');
