// A real spreadsheet program for the tests: LibreOffice headless converts a workbook to one
// UTF-8 CSV per sheet, which is how the tests see what a user would see in the cells.
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { parse } from 'csv-parse/sync';

/** The soffice program, or undefined when LibreOffice is not installed. */
export function findSoffice(): string | undefined {
  for (const name of ['soffice', 'libreoffice']) {
    try {
      return execFileSync('which', [name], { encoding: 'utf8' }).trim() || undefined;
    } catch {
      // not this one
    }
  }
  return undefined;
}

// Text CSV export: comma, double quote, UTF-8 (76), from line 1; token 9 false = the raw
// cell values, not as formatted; the last token -1 = every sheet to its own file.
const CSV_FILTER = 'csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,false,false,false,-1';

/** Converts `xlsx` with LibreOffice and returns each sheet's cells as text, by sheet name. */
export async function sheetsAsText(soffice: string, xlsx: string): Promise<Map<string, string[][]>> {
  const out = mkdtempSync(join(tmpdir(), 'crm-leads-lo-'));
  // Its own profile: two conversions at once (parallel test files) would share a lock otherwise.
  const profile = `file://${join(out, 'profile')}`;
  await new Promise<void>((resolve, reject) => {
    const child = spawn(
      soffice,
      [`-env:UserInstallation=${profile}`, '--headless', '--convert-to', CSV_FILTER, '--outdir', out, xlsx],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let log = '';
    child.stdout.on('data', (d) => (log += d));
    child.stderr.on('data', (d) => (log += d));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`soffice exited ${code}: ${log}`))));
  });
  const stem = basename(xlsx).replace(/\.xlsx$/, '');
  const sheets = new Map<string, string[][]>();
  for (const file of readdirSync(out)
    .filter((f) => f.endsWith('.csv'))
    .sort()) {
    const sheet = file.slice(stem.length + 1, -'.csv'.length);
    sheets.set(sheet, parse(readFileSync(join(out, file), 'utf8'), { relax_column_count: true }) as string[][]);
  }
  return sheets;
}
