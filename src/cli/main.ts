// The CLI: the one layer that prints and sets exit codes. Commands are imported lazily so
// `--help` and `validate` never load database drivers.
import { readFileSync } from 'node:fs';
import { Command, CommanderError, Option } from 'commander';
import { EXIT } from '../errors.ts';
import { handleError, printErr, setDebug } from './output.ts';

const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };

// Long: commander's declaration of every command and option, read as one table of the CLI;
// each action is one line that imports its command module lazily.
export async function main(argv: string[]): Promise<void> {
  // --log-format json: every stderr line (results, errors, --debug stacks) is a JSON record,
  // from the first one: usage errors are found while the arguments are parsed, and a failure
  // nothing else caught ends the process through here instead of Node's stack trace.
  const jsonLogs = asksForJsonLogs(argv);
  if (jsonLogs) (await import('./reporter.ts')).routeStderrToJsonLog();
  process.on('uncaughtException', exitOnUncaught);
  process.on('unhandledRejection', exitOnUncaught);
  const program = new Command('crm-leads')
    .description('Batch lead extraction: YAML jobs -> one warehouse query -> CSV, webhook or CRM table')
    .version(pkg.version)
    .option('--debug', 'show stack traces on errors')
    .exitOverride()
    .configureOutput({ writeErr: (s) => (jsonLogs ? printErr(s.trimEnd(), 'error') : process.stderr.write(s)) })
    .hook('preAction', (cmd) => setDebug(Boolean(cmd.opts().debug)));

  program
    .command('run')
    .description('run jobs: query the warehouse, write the leads; the last stdout line is a JSON summary')
    .argument('<jobs...>', 'job files')
    .option('--at <time>', 'logical run time, ISO 8601 (without an offset: the job timezone); default now')
    .option('--connections <file>', 'connections file (default $CRM_LEADS_CONNECTIONS or ./connections.yaml)')
    .option(
      '--csv <path>',
      'preview: write one CSV here instead of the job destinations ("-" for stdout; the summary then goes to stderr); reads cooldowns, records nothing',
    )
    .option('--record', 'with --csv: record the run and its deliveries in the ledger like a normal run')
    .option('--dry-run', 'count people after each rule (the funnel) and write nothing')
    .option('--shard <i/n>', 'only people whose key hashes to shard i of n (0-based)')
    .option(
      '--state <url>',
      'run ledger: sqlite path, mysql:// or postgres:// URL (default $CRM_LEADS_STATE or .crm-leads/state.db)',
    )
    .option('--wait', 'wait for another run of the same job to finish instead of failing')
    .addOption(logFormatOption())
    .action(async (jobs: string[], opts) => (await import('./run-command.ts')).runCommand(jobs, opts));

  program
    .command('validate')
    .description('check job and connections files without connecting')
    .argument('<jobs...>', 'job files')
    .option('--connections <file>', 'connections file')
    .option('--connect', "also check, on the jobs' connections, that every table and column exists")
    .action(async (jobs: string[], opts) => (await import('./validate-command.ts')).validateCommand(jobs, opts));

  program
    .command('compile')
    .description('print the SQL that run executes, for the source dialect (or --dialect), with values shown')
    .argument('<job>', 'job file')
    .option('--at <time>', 'logical run time (ISO 8601)')
    .option('--connections <file>', 'connections file')
    .option('--shard <i/n>', 'compile for shard i of n')
    .option('--bindings', 'print the statement with placeholders and its bindings as JSON instead')
    .option('--dialect <dialect>', 'sqlite, mysql, postgres, hive or oracle: compile for it, no connection needed')
    .action(async (job: string, opts) => (await import('./compile-command.ts')).compileCommand(job, opts));

  program
    .command('schedule')
    .description(
      'run every job with a schedule: (cron, in its timezone) until SIGTERM/SIGINT; SIGHUP reloads the job files',
    )
    .argument('[paths...]', 'job files or folders of them (default: jobs/)')
    .option('--connections <file>', 'connections file (default $CRM_LEADS_CONNECTIONS or ./connections.yaml)')
    .option('--concurrency <n>', 'how many jobs may run at the same time', '1')
    .option('--grace <duration>', 'on SIGTERM/SIGINT, how long running jobs may take to finish (e.g. 60s, 2m)', '60s')
    .option(
      '--state <url>',
      'run ledger: sqlite path, mysql:// or postgres:// URL (default $CRM_LEADS_STATE or .crm-leads/state.db)',
    )
    .addOption(logFormatOption())
    .action(async (paths: string[], opts) => (await import('./schedule-command.ts')).scheduleCommand(paths, opts));

  program
    .command('watch')
    .description(
      'real-time leads: decide trigger events as they mature, every realtime.every, until SIGTERM/SIGINT or --until; SIGHUP reloads',
    )
    .argument('<jobs...>', 'job files')
    .option('--connections <file>', 'connections file (default $CRM_LEADS_CONNECTIONS or ./connections.yaml)')
    .option(
      '--state <url>',
      'run ledger and watermarks: sqlite path, mysql:// or postgres:// URL (default $CRM_LEADS_STATE or .crm-leads/state.db)',
    )
    .option(
      '--from <time>',
      'replay from this time (ISO 8601; without an offset: the job timezone), even over a stored watermark',
    )
    .option('--until <time>', 'stop after the last tick at or before this time; with --from, replays without sleeping')
    .option(
      '--grace <duration>',
      'on SIGTERM/SIGINT, how long running ticks may take to finish before they are interrupted (e.g. 60s, 2m)',
      '60s',
    )
    .addOption(logFormatOption())
    .action(async (jobs: string[], opts) => (await import('./watch-command.ts')).watchCommand(jobs, opts));

  program
    .command('connections')
    .description('`connections check [NAME…]`: connect to each connection, print server version and latency')
    .command('check')
    .description(
      'connect to each connection (or the named ones), run a trivial query, print server version and latency; exit 1 if any fails',
    )
    .argument('[names...]', 'connection names (default: all)')
    .option('--connections <file>', 'connections file (default $CRM_LEADS_CONNECTIONS or ./connections.yaml)')
    .action(async (names: string[], opts) =>
      (await import('./connections-command.ts')).connectionsCheckCommand(names, opts),
    );

  const demo = program
    .command('demo')
    .description(
      '`demo load <connection>`: the demo warehouse into a MySQL/MariaDB, PostgreSQL or SQLite connection; `demo respond <job.yaml>`: people react to what a job delivered',
    );
  demo
    .command('respond')
    .description(
      "a share of the people the job delivered to (its acknowledged deliveries of the last 3 days) get one event a little after their delivery, in the demo events table of the job's source: the demo has no live app, and follow-up jobs (follow_up.responded) need reactions",
    )
    .argument('<job>', 'the first-touch job file (e.g. jobs/cart-abandoners-push.yaml)')
    .option('--connections <file>', 'connections file (default $CRM_LEADS_CONNECTIONS or ./connections.yaml)')
    .option('--state <url>', 'run ledger: sqlite path or mysql://, postgres:// URL (default .crm-leads/state.db)')
    .option('--event <name>', 'the event written', 'click_push')
    .option('--after <duration>', 'how long after each delivery', '10m')
    .option('--share <percent>', 'percent of the delivered people who respond', '30')
    .action(async (job: string, opts) => (await import('./demo-command.ts')).demoRespondCommand(job, opts));
  demo
    .command('load')
    .description(
      'create the demo tables (users, segments, tags, items, events, orders) in that connection and fill them; re-running replaces only those tables',
    )
    .argument('<connection>', 'a connection name from the connections file')
    .option('--connections <file>', 'connections file (default $CRM_LEADS_CONNECTIONS or ./connections.yaml)')
    .action(async (name: string, opts) => (await import('./demo-command.ts')).demoLoadCommand(name, opts));

  program
    .command('init')
    .description('write a connections.yaml and one commented job (jobs/first-leads.yaml) to start from')
    .argument('[dir]', 'where to write them (default: the current directory)')
    .action(async (dir: string | undefined) => (await import('./init-command.ts')).initCommand(dir));

  const stateOption = '--state <url>';
  const stateHelp =
    'run ledger: sqlite path, mysql:// or postgres:// URL (default $CRM_LEADS_STATE or .crm-leads/state.db)';
  const runs = program
    .command('runs')
    .description('list runs from the ledger, newest first; `runs show RUN_ID` shows one with its counts and failures')
    .option('--job <name>', 'only runs of this job')
    .option('--limit <n>', 'how many runs', '20')
    .option('--json', 'one JSON array on stdout')
    .option(stateOption, stateHelp)
    .action(async (opts) => (await import('./runs-command.ts')).runsCommand(opts));
  runs
    .command('show')
    .description('one run: counts, outputs, error and the leads that were not delivered')
    .argument('<run_id>', 'the run id (from the run summary or `crm-leads runs`)')
    .option('--json', 'one JSON object on stdout')
    .option(stateOption, stateHelp)
    // `runs` has --json and --state too: whichever side of `show` they are written on counts.
    .action(async (runId: string, _opts, cmd: Command) =>
      (await import('./runs-command.ts')).runsShowCommand(runId, cmd.optsWithGlobals()),
    );

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

// An unknown format is a usage error (exit 2), not silently text.
function logFormatOption(): Option {
  return new Option('--log-format <format>', 'text or json').choices(['text', 'json']).default('text');
}

/** Whether the command line asks for --log-format json (as `--log-format json` or `--log-format=json`). */
function asksForJsonLogs(argv: string[]): boolean {
  const end = argv.indexOf('--');
  const args = end === -1 ? argv : argv.slice(0, end);
  return args.some((a, i) => a === '--log-format=json' || (a === '--log-format' && args[i + 1] === 'json'));
}

// A failure no command caught (an error event nobody listened to): one line, in the log format
// asked for, exit 1; never Node's stack trace with its unredacted message.
function exitOnUncaught(err: unknown): void {
  handleError(err);
  process.exit(EXIT.failed);
}
