// `crm-leads init [dir]`: a connections.yaml and one commented job to start from. Never
// overwrites: if either file exists, nothing is written and the command says which (exit 2).
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { SpecError } from '../errors.ts';
import { CONNECTIONS_TEMPLATE, JOB_TEMPLATE } from './init-templates.ts';
import { handleError, printErr } from './output.ts';

export const JOB_FILE = join('jobs', 'first-leads.yaml');

export async function initCommand(dir: string | undefined): Promise<void> {
  try {
    const root = resolve(dir ?? '.');
    const files = [
      { path: join(root, 'connections.yaml'), text: CONNECTIONS_TEMPLATE },
      { path: join(root, JOB_FILE), text: JOB_TEMPLATE },
    ];
    const existing = files.filter((f) => existsSync(f.path));
    if (existing.length)
      throw new SpecError(
        existing.map((f) => ({ file: f.path, message: 'already exists; init writes nothing over existing files' })),
      );
    mkdirSync(join(root, 'jobs'), { recursive: true });
    for (const f of files) {
      writeFileSync(f.path, f.text, { flag: 'wx' });
      printErr(`wrote ${relative(process.cwd(), f.path) || f.path}`);
    }
    const cd = relative(process.cwd(), root);
    printErr(
      `next: ${cd ? `cd ${cd} && ` : ''}edit connections.yaml, then crm-leads connections check && crm-leads validate ${JOB_FILE}`,
    );
  } catch (err) {
    handleError(err);
  }
}
