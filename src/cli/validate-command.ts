// `crm-leads validate`: jobs and connections checked without connecting; with --connect,
// also every table and column the jobs name, on their connections (exit 2 when one is missing).
import { formatIssue, SpecError, type SpecIssue } from '../errors.ts';
import { count } from '../plural.ts';
import { loadInputs } from './load-inputs.ts';
import { handleError, printErr } from './output.ts';

export async function validateCommand(
  jobFiles: string[],
  opts: { connections?: string; connect?: boolean },
): Promise<void> {
  try {
    const { jobs, connections } = loadInputs(jobFiles, opts.connections);
    const issues: SpecIssue[] = [];
    if (opts.connect) {
      const { checkJobTables } = await import('../run/check-tables.ts');
      for (const job of jobs) {
        const check = await checkJobTables(job, connections);
        issues.push(...check.issues);
        for (const name of check.skipped)
          printErr(
            `warning: ${job.file}: tables on connection ${name} not checked (--connect reads the catalogue of SQLite, MySQL/MariaDB and PostgreSQL)`,
            'warn',
          );
      }
    }
    if (issues.length) throw new SpecError(issues);
    const checked = opts.connect ? ', tables and columns checked' : '';
    for (const job of jobs) {
      for (const warning of job.warnings ?? []) printErr(`warning: ${formatIssue(warning)}`, 'warn');
      printErr(`ok: ${job.file} (${job.name}, source ${job.source}${checked})`);
    }
    printErr(`ok: ${connections.file} (${count(connections.byName.size, 'connection')})`);
  } catch (err) {
    handleError(err);
  }
}
