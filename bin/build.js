#!/usr/bin/env node
// `npm run build` (and `prepare`, so `npm ci` does it): compiles src/ to dist/ with tsc, then
// bundles dist/cli/main.js into dist/bundle/ with esbuild, and stamps the build; the launcher
// uses the bundle only while no source file is newer than the stamp.
//
// Why a bundle (issue 15, start-up): tsc's output is ~200 ES modules, and resolving and loading
// them one by one is the largest part of a short command (`validate`: 0.33 -> 0.20 s CPU).
// Code splitting keeps every `await import()` lazy (a driver, a destination, a command loads
// only when used). Packages with native code or their own dynamic requires (knex, the drivers,
// exceljs, pino, ...) stay outside the bundle and load from node_modules as before.
import { execFileSync } from 'node:child_process';
import { cpSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const require = createRequire(import.meta.url);
const tsc = require.resolve('typescript/bin/tsc');
rmSync(`${root}dist`, { recursive: true, force: true });
try {
  execFileSync(process.execPath, [tsc, '-p', `${root}tsconfig.build.json`], { stdio: 'inherit', cwd: root });
} catch {
  // Type errors still emit JavaScript; the stamp is written only for a clean build.
  process.exitCode = 1;
}

// Every package the bundle leaves to node_modules: the runtime dependencies but the small,
// pure-JavaScript ones the short commands always load.
const pkg = JSON.parse(readFileSync(`${root}package.json`, 'utf8'));
const INLINED = new Set(['commander', 'yaml', 'zod', 'luxon', 'fastest-levenshtein', 'csv-stringify', 'knex']);
// Drivers knex would load for dialects crm-leads never asks it for.
const KNEX_OPTIONAL = ['sqlite3', 'mysql', 'mariadb', 'oracledb', 'tedious', 'pg-native', 'mssql'];
const external = [...Object.keys(pkg.dependencies).filter((name) => !INLINED.has(name)), ...KNEX_OPTIONAL];

// A file a Worker runs (dist/**/*-worker.js) is an entry point of its own, next to main.js, so
// that `new URL('./x-worker.js', import.meta.url)` finds it from any chunk.
function workers(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? workers(`${dir}/${e.name}`) : e.name.endsWith('-worker.js') ? [`${dir}/${e.name}`] : [],
  );
}

if (!process.exitCode) {
  require('esbuild').buildSync({
    entryPoints: [`${root}dist/cli/main.js`, ...workers(`${root}dist`)],
    entryNames: '[name]',
    outdir: `${root}dist/bundle`,
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    external,
    // Bundled CommonJS (commander) calls require(): give the ES module chunks one.
    banner: {
      js: 'import { createRequire as __crmLeadsRequire } from "node:module"; const require = __crmLeadsRequire(import.meta.url);',
    },
    logLevel: 'warning',
  });
  // Plain JavaScript modules that run in processes of their own (the SQLite reader) start
  // without a TypeScript loader: tsc does not emit them, so they are copied beside the compiled
  // files and beside the bundle's chunks, which find them at `new URL('./x.mjs', import.meta.url)`.
  for (const file of readdirSync(`${root}src`, { recursive: true }).map(String))
    if (file.endsWith('.mjs')) {
      cpSync(`${root}src/${file}`, `${root}dist/${file}`);
      cpSync(`${root}src/${file}`, `${root}dist/bundle/${file.split('/').pop()}`);
    }
  writeFileSync(`${root}dist/.built`, new Date().toISOString() + '\n');
}
