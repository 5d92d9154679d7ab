// No secret ever reaches stdout or stderr. Secrets are planted in environment variables used as
// database passwords, URL passwords (plain and percent-encoded), a webhook token, a webhook
// signing secret and a --state URL; then failing and succeeding commands run in every output
// format, and every channel is searched for every planted value.
import { once } from 'node:events';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jsonLogRecords, runCli, type CliResult } from '../support/cli.ts';
import { createTestDatabase, loadFixture, MYSQL, POSTGRES, type TestDatabase } from '../support/databases.ts';
import { startCli } from '../support/long-running-cli.ts';

// A quote and a backslash: JSON output escapes them, and the escaped form must not leak either.
const MYSQL_PASSWORD = 'My"Pw\\Secret-1';
const MYSQL_URL_PASSWORD = 'MyUrlSecret-2';
const PG_URL_PASSWORD = 'Pg@Url:Secret/3%'; // needs percent-encoding inside a URL
const TOKEN = 'TokenSecret-4';
const WEBHOOK_SECRET = 'WebhookSecret-5';
const HOOK_URL_PASSWORD = 'HookUrlSecret-6';
const STATE_PASSWORD = 'StateSecret-7';

const PLANTED = [
  MYSQL_PASSWORD,
  MYSQL_URL_PASSWORD,
  PG_URL_PASSWORD,
  encodeURIComponent(PG_URL_PASSWORD),
  TOKEN,
  WEBHOOK_SECRET,
  HOOK_URL_PASSWORD,
  STATE_PASSWORD,
];
// The forms a secret takes in printed JSON or an HTTP header built from it.
const LEAK_FORMS = [
  ...PLANTED,
  ...PLANTED.map((s) => JSON.stringify(s).slice(1, -1)),
  Buffer.from(`hook:${HOOK_URL_PASSWORD}`).toString('base64'),
];

const ENV = {
  MYSQL_PASSWORD,
  MYSQL_URL_PASSWORD,
  PG_URL_PASSWORD: encodeURIComponent(PG_URL_PASSWORD),
  CRM_TOKEN: TOKEN,
  CRM_WEBHOOK_SECRET: WEBHOOK_SECRET,
  HOOK_URL_PASSWORD,
  CRM_LEADS_STATE: '', // each command below says where its ledger is
};

function expectNoSecret(r: CliResult, what: string): void {
  for (const [channel, text] of [
    ['stdout', r.stdout],
    ['stderr', r.stderr],
  ] as const) {
    for (const secret of LEAK_FORMS) {
      if (text.includes(secret))
        throw new Error(`${what}: ${channel} contains the planted secret ${JSON.stringify(secret)}:\n${text}`);
    }
  }
}

/** --log-format json: stderr is structured records only (for log collectors), even errors. */
const expectJsonLog = (r: CliResult): unknown => jsonLogRecords(r);

describe('secrets never appear in any output', () => {
  let pg: TestDatabase;
  let receiver: Server;
  const received: { path: string; headers: IncomingHttpHeaders }[] = [];
  const dir = mkdtempSync(join(tmpdir(), 'crm-leads-secrets-'));
  const cli = (args: string[]) => runCli(args, { cwd: dir, env: ENV });

  beforeAll(async () => {
    pg = await createTestDatabase('postgres', 'secrets');
    await loadFixture(pg, [
      {
        name: 'dim_user',
        columns: { user_id: 'integer', phone: 'string' },
        rows: [
          { user_id: 1, phone: '13800000001' },
          { user_id: 2, phone: '13800000002' },
        ],
      },
    ]);
    // /ok acknowledges; /reject answers 401 quoting the credentials it was sent, as some
    // receivers do, so the failure message itself carries them.
    receiver = createServer((req, res) => {
      received.push({ path: req.url!, headers: req.headers });
      req.resume();
      req.on('end', () => {
        if (req.url === '/ok') return void res.writeHead(200).end('{}');
        res
          .writeHead(401, { 'content-type': 'text/plain' })
          .end(`bad credentials: ${req.headers.authorization} ${req.headers['x-token'] ?? ''}`);
      });
    });
    receiver.listen(0, '127.0.0.1');
    await once(receiver, 'listening');
    const port = (receiver.address() as AddressInfo).port;
    const pgDb = (pg.connection as { database: string }).database;
    writeFileSync(
      join(dir, 'connections.yaml'),
      [
        `pg_url: { type: postgres, url: "postgres://${POSTGRES.user}:\${PG_URL_PASSWORD}@${POSTGRES.host}:${POSTGRES.port}/${pgDb}" }`,
        `my_wrong: { type: mysql, host: "${MYSQL.host}", port: ${MYSQL.port}, user: ${MYSQL.user}, password: "\${MYSQL_PASSWORD}", database: mysql }`,
        `my_url: { type: mysql, url: "mysql://${MYSQL.user}:\${MYSQL_URL_PASSWORD}@${MYSQL.host}:${MYSQL.port}/mysql" }`,
        '',
      ].join('\n'),
    );
    const lead = 'lead: { fields: [user_id, phone] }';
    const hook = (url: string, extra = '') =>
      `destinations: [ { type: webhook, url: "${url}", secret: "\${CRM_WEBHOOK_SECRET}", max_retries: 0${extra} } ]`;
    writeFileSync(
      join(dir, 'pg-hook.yaml'),
      `name: pg-hook\nsource: pg_url\naudience: { table: dim_user }\n${lead}\n${hook(`http://127.0.0.1:${port}/ok`, ', headers: { Authorization: "Bearer ${CRM_TOKEN}" }')}\n`,
    );
    writeFileSync(
      join(dir, 'pg-reject-token.yaml'),
      `name: pg-reject-token\nsource: pg_url\naudience: { table: dim_user }\n${lead}\n${hook(`http://127.0.0.1:${port}/reject`, ', headers: { X-Token: "${CRM_TOKEN}" }')}\n`,
    );
    writeFileSync(
      join(dir, 'pg-reject-basic.yaml'),
      `name: pg-reject-basic\nsource: pg_url\naudience: { table: dim_user }\n${lead}\n${hook(`http://hook:\${HOOK_URL_PASSWORD}@127.0.0.1:${port}/reject`)}\n`,
    );
    writeFileSync(join(dir, 'my-wrong.yaml'), `name: my-wrong\nsource: my_wrong\naudience: { table: user }\n${lead}\n`);
    writeFileSync(join(dir, 'my-url.yaml'), `name: my-url\nsource: my_url\naudience: { table: user }\n${lead}\n`);
  });
  afterAll(async () => {
    receiver?.close();
    await pg?.drop();
  });

  it('successful runs (text and json logs) use the secrets and print none', async () => {
    const text = await cli(['run', 'pg-hook.yaml', '--at', '2026-11-23T09:00:00', '--state', join(dir, 'state-1.db')]);
    expect(text.code).toBe(0);
    expectNoSecret(text, 'run (text)');
    const json = await cli([
      'run',
      'pg-hook.yaml',
      '--at',
      '2026-11-23T09:00:00',
      '--state',
      join(dir, 'state-2.db'),
      '--log-format',
      'json',
      '--debug',
    ]);
    expect(json.code).toBe(0);
    expect(json.summary).toMatchObject({ status: 'ok', leads: 2 });
    expectJsonLog(json);
    expectNoSecret(json, 'run (json)');
    // The secrets were really in play: the receiver got the token and a signature.
    const ok = received.filter((r) => r.path === '/ok');
    expect(ok.length).toBeGreaterThanOrEqual(2);
    expect(ok[0].headers.authorization).toBe(`Bearer ${TOKEN}`);
    expect(Object.keys(ok[0].headers).some((h) => /signature/i.test(h))).toBe(true);
  });

  it('a receiver that quotes the token or the URL credentials back: exit 3, nothing leaks, not even from the ledger', async () => {
    for (const [job, format] of [
      ['pg-reject-token.yaml', 'text'],
      ['pg-reject-basic.yaml', 'json'],
    ]) {
      const state = join(dir, `state-${job}-${format}.db`);
      const r = await cli([
        'run',
        job,
        '--at',
        '2026-11-23T09:00:00',
        '--state',
        state,
        '--log-format',
        format,
        '--debug',
      ]);
      expect(r.code).toBe(3);
      if (format === 'json') expectJsonLog(r);
      expectNoSecret(r, `${job} (${format})`);
      // The failures (with the receiver's answer) are in the ledger: `runs show` prints them.
      const show = await runCli(['runs', 'show', String(r.summary!.run_id)], {
        cwd: dir,
        env: { ...ENV, CRM_LEADS_STATE: state },
      });
      expect(show.code).toBe(0);
      expect(show.stdout).toMatch(/HTTP 401/);
      expectNoSecret(show, `runs show (${job}, ${format})`);
    }
    const rejected = received.filter((r) => r.path === '/reject');
    expect(rejected.some((r) => r.headers['x-token'] === TOKEN)).toBe(true);
    expect(
      rejected.some(
        (r) => r.headers.authorization === `Basic ${Buffer.from(`hook:${HOOK_URL_PASSWORD}`).toString('base64')}`,
      ),
    ).toBe(true);
  });

  it('wrong database passwords, from fields and URLs, fail with exit 1 in every format and print none', async () => {
    for (const job of ['my-wrong.yaml', 'my-url.yaml']) {
      for (const extra of [['--debug'], ['--log-format', 'json', '--debug']]) {
        const r = await cli([
          'run',
          job,
          '--csv',
          join(dir, 'never.csv'),
          '--state',
          join(dir, 'state-fail.db'),
          ...extra,
        ]);
        expect(r.code).toBe(1);
        expect(r.stderr).toMatch(/Access denied/);
        if (extra.includes('json')) expectJsonLog(r);
        expectNoSecret(r, `${job} ${extra.join(' ')}`);
      }
    }
  });

  it('a --state URL with a wrong password fails with exit 1 and is never echoed', async () => {
    const r = await cli([
      'run',
      'pg-hook.yaml',
      '--state',
      `mysql://${MYSQL.user}:${STATE_PASSWORD}@${MYSQL.host}:${MYSQL.port}/crm_leads_nope`,
      '--log-format',
      'json',
      '--debug',
    ]);
    expect(r.code).toBe(1);
    expectNoSecret(r, 'run --state');
  });

  it('validate, compile and connections check (with a wrong password) print none', async () => {
    const jobs = ['pg-hook.yaml', 'pg-reject-token.yaml', 'pg-reject-basic.yaml', 'my-wrong.yaml', 'my-url.yaml'];
    const validate = await cli(['validate', ...jobs]);
    expect(validate.code).toBe(0);
    expectNoSecret(validate, 'validate');
    writeFileSync(
      join(dir, 'broken.yaml'),
      'name: broken\nsource: pg_url\naudience: { table: dim_user, wher: {} }\nlead: { fields: [user_id] }\n',
    );
    const invalid = await cli(['validate', 'broken.yaml', ...jobs, '--debug']);
    expect(invalid.code).toBe(2);
    expectNoSecret(invalid, 'validate (invalid)');
    for (const job of ['pg-reject-basic.yaml', 'my-url.yaml']) {
      const compile = await cli(['compile', job]);
      expect(compile.code).toBe(0);
      expectNoSecret(compile, `compile ${job}`);
    }
    const check = await cli(['connections', 'check']);
    expect(check.code).toBe(1);
    expect(check.summary).toMatchObject({
      ok: false,
      connections: [
        { name: 'pg_url', ok: true },
        { name: 'my_wrong', ok: false },
        { name: 'my_url', ok: false },
      ],
    });
    expectNoSecret(check, 'connections check');
  });

  it("the scheduler's json logs, with a job that succeeds and one that fails, print none", async () => {
    const jobs = join(dir, 'scheduled');
    mkdirSync(jobs);
    const scheduled = (file: string, name: string) =>
      writeFileSync(
        join(jobs, `${name}.yaml`),
        `schedule: "* * * * * *"\n` + readFileSync(join(dir, file), 'utf8').replace(/^name: .*$/m, `name: ${name}`),
      );
    scheduled('pg-hook.yaml', 'sched-ok');
    scheduled('my-wrong.yaml', 'sched-fail');
    const child = startCli(['schedule', jobs, '--log-format', 'json', '--state', join(dir, 'state-schedule.db')], {
      cwd: dir,
      env: ENV,
    });
    await child.waitFor((e) => e.event === 'finished' && e.job === 'sched-ok');
    await child.waitFor((e) => e.event === 'failed' && e.job === 'sched-fail');
    child.child.kill('SIGTERM');
    expect(await child.exited()).toBe(0);
    expectNoSecret({ code: 0, stdout: child.stdoutLines.join('\n'), stderr: child.stderr() }, 'schedule');
  });
});
