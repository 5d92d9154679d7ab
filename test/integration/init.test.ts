// `crm-leads init [dir]`: files that validate and compile as written, and never an overwrite.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.ts';

describe('init', () => {
  it('writes a connections.yaml and a commented job that validate and compile as they are', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'crm-leads-init-'));
    const r = await runCli(['init', 'project'], { cwd: dir });
    expect(r.code).toBe(0);
    const project = join(dir, 'project');
    const job = readFileSync(join(project, 'jobs', 'first-leads.yaml'), 'utf8');
    expect(job).toMatch(/^# /); // commented, to learn from
    expect(readFileSync(join(project, 'connections.yaml'), 'utf8')).toMatch(/password: \$\{DW_PASSWORD:-\}/);
    // Without any environment variable set, as on a fresh machine.
    const env = { DW_HOST: '', DW_PORT: '', DW_USER: '', DW_PASSWORD: '', DW_DATABASE: '', CRM_LEADS_CONNECTIONS: '' };
    const validate = await runCli(['validate', 'jobs/first-leads.yaml'], { cwd: project, env });
    expect(validate.stderr).toMatch(/^ok: .*first-leads\.yaml \(first-leads, source warehouse\)$/m);
    expect(validate.code).toBe(0);
    const compile = await runCli(['compile', 'jobs/first-leads.yaml', '--at', '2026-11-23T09:00:00'], {
      cwd: project,
      env,
    });
    expect(compile.code).toBe(0);
    expect(compile.stdout).toMatch(/from `dim_user` as `a` where `a`.`age` between 25 and 45/);
  });

  it('writes nothing when either file exists (exit 2), and leaves that file untouched', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'crm-leads-init-'));
    writeFileSync(join(dir, 'connections.yaml'), 'mine: { type: sqlite, path: a.db }\n');
    const r = await runCli(['init'], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/connections\.yaml: already exists; init writes nothing over existing files/);
    expect(readFileSync(join(dir, 'connections.yaml'), 'utf8')).toBe('mine: { type: sqlite, path: a.db }\n');
    expect(existsSync(join(dir, 'jobs'))).toBe(false);

    const other = mkdtempSync(join(tmpdir(), 'crm-leads-init-'));
    mkdirSync(join(other, 'jobs'));
    writeFileSync(join(other, 'jobs', 'first-leads.yaml'), 'kept\n');
    expect((await runCli(['init', other])).code).toBe(2);
    expect(existsSync(join(other, 'connections.yaml'))).toBe(false);
    expect(readFileSync(join(other, 'jobs', 'first-leads.yaml'), 'utf8')).toBe('kept\n');
  });
});
