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
          `${join(dir, 'hook.yaml')}:7:27: destinations[1].url: a webhook url must start with http:// or https://`,
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

  it('--state ftp://… says which scheme is wrong, and prints no credential', async () => {
    const r = await cli(['runs', '--state', 'ftp://ledger:Ftp_pw_77@host/x']);
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).toBe(
      'error: --state: "ftp:" is not a state location: use a file path, sqlite:PATH, mysql://… or postgres://…',
    );
  });

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
