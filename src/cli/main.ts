// The CLI: the one layer that prints and sets exit codes. Commands are imported lazily so
// `--help` and `validate` never load database drivers.
import { readFileSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import { EXIT } from '../errors.ts';
import { handleError, setDebug } from './output.ts';

const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };

export async function main(argv: string[]): Promise<void> {
  const program = new Command('crm-leads')
    .description('Batch lead extraction: YAML jobs -> one warehouse query -> CSV, webhook or CRM table')
    .version(pkg.version)
    .option('--debug', 'show stack traces on errors')
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) })
    .hook('preAction', (cmd) => setDebug(Boolean(cmd.opts().debug)));

  program
    .command('run')
    .description('run jobs: query the warehouse, write the leads; the last stdout line is a JSON summary')
    .argument('<jobs...>', 'job files')
    .option('--at <time>', 'logical run time, ISO 8601 (without an offset: the job timezone); default now')
    .option('--connections <file>', 'connections file (default $CRM_LEADS_CONNECTIONS or ./connections.yaml)')
    .option('--csv <path>', 'write one CSV here instead of the job destinations ("-" for stdout)')
    .option('--dry-run', 'count people after each rule (the funnel) and write nothing')
    .option('--shard <i/n>', 'only people whose key hashes to shard i of n (0-based)')
    .option('--state <url>', 'run ledger: sqlite path, mysql:// or postgres:// URL (default $CRM_LEADS_STATE or .crm-leads/state.db)')
    .option('--wait', 'wait for another run of the same job to finish instead of failing')
    .option('--log-format <format>', 'text or json', 'text')
    .action(async (jobs: string[], opts) => (await import('./run-command.ts')).runCommand(jobs, opts));

  program
    .command('validate')
    .description('check job and connections files without connecting')
    .argument('<jobs...>', 'job files')
    .option('--connections <file>', 'connections file')
    .action(async (jobs: string[], opts) => (await import('./validate-command.ts')).validateCommand(jobs, opts));

  program
    .command('compile')
    .description('print the SQL that run executes, for the source dialect, with values shown')
    .argument('<job>', 'job file')
    .option('--at <time>', 'logical run time (ISO 8601)')
    .option('--connections <file>', 'connections file')
    .option('--shard <i/n>', 'compile for shard i of n')
    .option('--bindings', 'print the statement with placeholders and its bindings as JSON instead')
    .action(async (job: string, opts) => (await import('./compile-command.ts')).compileCommand(job, opts));

  try {
    await program.parseAsync(argv);
  } catch (err) {
    if (err instanceof CommanderError) {
      process.exitCode = err.exitCode === 0 ? EXIT.ok : EXIT.invalid;
      return;
    }
    handleError(err);
  }
}
