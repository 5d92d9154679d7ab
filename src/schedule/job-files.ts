// Which files `crm-leads schedule` reads: each path is a job file or a folder of them
// (every .yaml/.yml below it, in a stable order so that logs and name clashes are predictable).
import { readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { SpecIssue } from '../errors.ts';

export const DEFAULT_JOB_PATHS = ['jobs'];

export function findJobFiles(paths: string[]): { files: string[]; issues: SpecIssue[] } {
  const files = new Set<string>();
  const issues: SpecIssue[] = [];
  for (const path of paths) {
    const full = resolve(path);
    let isDirectory: boolean;
    try {
      isDirectory = statSync(full).isDirectory();
    } catch {
      issues.push({ file: path, message: 'no such file or folder' });
      continue;
    }
    if (!isDirectory) files.add(full);
    else for (const name of yamlFilesUnder(full)) files.add(name);
  }
  return { files: [...files], issues };
}

function yamlFilesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((name) => /\.ya?ml$/i.test(name) && !name.split(/[\\/]/).some((part) => part.startsWith('.')))
    .map((name) => join(dir, name))
    .filter((file) => statSync(file).isFile())
    .sort();
}
