// Inputs refused before anything runs (exit 2, nothing written), through the real CLI: a
// webhook url that is not http(s), an unknown --log-format, a --state that is not a ledger
// location or a URL whose password was not percent-encoded (no part of it is ever printed).
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.ts';

const dir = mkdtempSync(join(tmpdir(), 'crm-leads-refused-'));
const webhookJob = (url: string) => `name: hook
source: wh
audience: { table: people }
lead: { fields: [user_id] }
destinations:
  - { type: csv, path: out/a.csv }
  - { type: webhook, url: "${url}" }
`;
beforeAll(() => {
  writeFileSync(join(dir, 'connections.yaml'), 'wh: { type: sqlite, path: nowhere.db }\n');
  writeFileSync(join(dir, 'ok.yaml'), webhookJob('https://crm.example/leads'));
});
const cli = (args: string[]) => runCli(args, { cwd: dir });

describe('refused before anything runs', () => {
  it('a webhook url that is not http(s): exit 2 at destinations[1].url, in validate and run, nothing written', async () => {
    for (const url of ['ftp://crm.example/x', 'file:///etc/passwd', 'javascript:alert(1)']) {
      writeFileSync(join(dir, 'hook.yaml'), webhookJob(url));
      for (const command of ['validate', 'run']) {
        const r = await cli([command, 'hook.yaml']);
        expect(r.code, `${command} ${url}: ${r.stderr}`).toBe(2);
        expect(r.stderr).toContain(
          `${join(dir, 'hook.yaml')}:7:27: destinations[1].url: a webhook url must start with http:// or https://; "${url}" does not`,
        );
      }
    }
    expect(existsSync(join(dir, '.crm-leads'))).toBe(false);
    expect(existsSync(join(dir, 'out'))).toBe(false);
  }, 240_000); // six CLI runs

  it('--log-format xml is a usage error (exit 2)', async () => {
    const r = await cli(['run', 'ok.yaml', '--log-format', 'xml']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/'--log-format <format>' argument 'xml' is invalid\. Allowed choices are text, json/);
  });

  it('--state ftp://… names the value as typed, says which scheme is wrong, and prints no credential', async () => {
    const r = await cli(['runs', '--state', 'ftp://ledger:Ftp_pw_77@host/x']);
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).toBe(
      'error: --state: "ftp://ledger:***@host/x" is not a state location ("ftp:" is not a ledger): use a file path, sqlite:PATH, mysql://… or postgres://…',
    );
    expect(r.stdout + r.stderr).not.toContain('Ftp_pw_77');
  });

  // decodeURIComponent throws "URI malformed" on a % that is not an escape: a usage error at
  // the value, never exit 1 with that bare message, and never the password.
  it('a % that is not a percent-escape in a webhook url: exit 2 at destinations[1].url, in validate and run, nothing written', async () => {
    writeFileSync(join(dir, 'hook-env.yaml'), webhookJob('${HOOK}'));
    for (const command of ['validate', 'run']) {
      const r = await runCli([command, 'hook-env.yaml'], {
        cwd: dir,
        env: { HOOK: 'http://alice:pass%zzHOOKPW@127.0.0.1:1/' },
      });
      expect(r.code, `${command}: ${r.stderr}`).toBe(2);
      expect(r.stderr.trim()).toBe(
        `error: ${join(dir, 'hook-env.yaml')}:7:27: destinations[1].url: "http://alice:***@127.0.0.1:1/": the password has an invalid percent-escape: a % starts an escape of two hex digits of UTF-8 (%40 for @, %23 for #); write % itself as %25`,
      );
      expect(r.stdout + r.stderr).not.toMatch(/URI malformed|HOOKPW|pass%zz/);
    }
    expect(existsSync(join(dir, '.crm-leads'))).toBe(false);
    expect(existsSync(join(dir, 'out'))).toBe(false);
  }, 120_000);

  it('a % that is not a percent-escape in a connection url: exit 2 at <name>.url, before any connection', async () => {
    const sub = mkdtempSync(join(tmpdir(), 'crm-leads-refused-conn-'));
    writeFileSync(
      join(sub, 'connections.yaml'),
      "wh: { type: mysql, url: 'mysql://root:pa%zzCONNPW@127.0.0.1:3306/test' }\n" +
        "pg: { type: postgres, url: 'postgres://ro%zzot@127.0.0.1:5432/test' }\n",
    );
    writeFileSync(join(sub, 'ok.yaml'), webhookJob('https://crm.example/leads'));
    for (const command of ['validate', 'run']) {
      const r = await runCli([command, 'ok.yaml'], { cwd: sub });
      expect(r.code, `${command}: ${r.stderr}`).toBe(2);
      expect(r.stderr).toContain(
        `${join(sub, 'connections.yaml')}:1:25: wh.url: "mysql://root:***@127.0.0.1:3306/test": the password has an invalid percent-escape`,
      );
      expect(r.stderr).toContain(
        `${join(sub, 'connections.yaml')}:2:28: pg.url: "postgres://ro%zzot@127.0.0.1:5432/test": the user name has an invalid percent-escape`,
      );
      expect(r.stdout + r.stderr).not.toMatch(/URI malformed|CONNPW|pa%zz/);
    }
    expect(existsSync(join(sub, '.crm-leads'))).toBe(false);
    expect(existsSync(join(sub, 'out'))).toBe(false);
  }, 120_000);

  it('--state URLs: a bad percent-escape, no database, a bad port: exit 2 naming the value, no credential', async () => {
    const cases: [string, string][] = [
      [
        'mysql://root:pa%zzSECRET@127.0.0.1/x',
        'error: --state: "mysql://root:***@127.0.0.1/x": the password has an invalid percent-escape: a % starts an escape of two hex digits of UTF-8 (%40 for @, %23 for #); write % itself as %25',
      ],
      [
        'postgres://root:pa%zzSECRET@127.0.0.1/x',
        'error: --state: "postgres://root:***@127.0.0.1/x": the password has an invalid percent-escape: a % starts an escape of two hex digits of UTF-8 (%40 for @, %23 for #); write % itself as %25',
      ],
      [
        'mysql://root@127.0.0.1:3306',
        'error: --state: "mysql://root@127.0.0.1:3306": name the database (mysql://user@host:port/DB)',
      ],
      [
        'mysql://root:SECRETpw@127.0.0.1:3306/',
        'error: --state: "mysql://root:***@127.0.0.1:3306/": name the database (mysql://user@host:port/DB)',
      ],
      [
        'postgres://root:SECRETpw@127.0.0.1:99999/x',
        'error: --state: "postgres://root:***@127.0.0.1:99999/x": the port "99999" is not a port number (0 to 65535)',
      ],
      [
        'mysql://root:SECRETpw@127.0.0.1:33o6/x',
        'error: --state: "mysql://root:***@127.0.0.1:33o6/x": the port "33o6" is not a port number (0 to 65535)',
      ],
    ];
    for (const [state, expected] of cases) {
      const r = await cli(['runs', '--state', state]);
      expect(r.code, `${state}: ${r.stderr}`).toBe(2);
      expect(r.stderr.trim()).toBe(expected);
      expect(r.stdout + r.stderr).not.toMatch(/SECRET|URI malformed|percent-encode special/);
    }
  }, 120_000);

  it('a --state URL whose password is not percent-encoded: exit 2, how to encode it, no part of it printed', async () => {
    for (const state of ['mysql://root:ST@pw#SECRET@127.0.0.1/db', 'postgres://root:Pa@ss@127.0.0.1/db']) {
      for (const extra of [[], ['--log-format', 'json']]) {
        const r = await cli(['run', 'ok.yaml', '--state', state, ...extra]);
        expect(r.code, r.stderr).toBe(2);
        const printed = r.stdout + r.stderr;
        expect(printed).toContain('the URL could not be parsed unambiguously: percent-encode');
        for (const piece of ['ST@pw', 'SECRET', 'pw#', 'Pa@ss', 'root:']) expect(printed).not.toContain(piece);
      }
    }
  });

  it('says "1 connection", not "1 connections"', async () => {
    const r = await cli(['validate', 'ok.yaml']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain(`(1 connection)`);
  });
});
