// The CLI reporter: a live line on a terminal, periodic log lines without one, pino JSON with
// --log-format json, and redaction in every format.
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { cliReporter } from '../../src/cli/reporter.ts';
import { registerSecret } from '../../src/secrets.ts';

function sink(isTTY: boolean): PassThrough & { isTTY: boolean; text(): string } {
  const stream = new PassThrough() as PassThrough & { isTTY: boolean; text(): string };
  let text = '';
  stream.on('data', (d) => (text += d));
  stream.isTTY = isTTY;
  stream.text = () => text;
  return stream;
}

const progress = (rows: number, elapsedMs: number) => ({ job: 'j', rows, leads: rows / 2, elapsedMs });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('cliReporter', () => {
  it('on a terminal redraws one progress line (rows, leads, rate, elapsed) and ends it with done()', async () => {
    const out = sink(true);
    const r = cliReporter('text', out);
    r.progress(progress(1000, 1000));
    await sleep(250);
    r.progress(progress(3000, 2000));
    r.done();
    expect(out.text()).toBe(
      '\rj: 1000 rows read, 500 leads, 1000/s, 1s   \rj: 3000 rows read, 1500 leads, 1500/s, 2s   \n',
    );
  });

  it('without a terminal draws no progress bar: one log line per interval instead', async () => {
    const out = sink(false);
    const r = cliReporter('text', out, { logEveryMs: 100 });
    r.progress(progress(1000, 1000)); // starts the clock, prints nothing
    r.progress(progress(2000, 1050));
    expect(out.text()).toBe('');
    await sleep(120);
    r.progress(progress(4000, 2000));
    r.progress(progress(5000, 2010)); // within the interval again: nothing
    expect(out.text()).toBe('j: 4000 rows read, 2000 leads, 2000/s\n');
    expect(out.text()).not.toMatch(/\r/);
  });

  it('--log-format json writes pino records with level, time, msg and fields, secrets redacted', async () => {
    registerSecret('Reporter"Secret\\9');
    const out = sink(true); // a terminal changes nothing in json
    const r = cliReporter('json', out, { logEveryMs: 0 });
    r.info('connected with Reporter"Secret\\9', { job: 'j', url: 'mysql://u:Reporter"Secret\\9@h/db' });
    r.error('failed', { job: 'j', error: 'password Reporter"Secret\\9 rejected' });
    r.progress(progress(10, 5));
    r.progress(progress(20, 10));
    const records = out
      .text()
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(records[0]).toMatchObject({ level: 'info', msg: 'connected with ***', job: 'j' });
    expect(records[0].url).not.toContain('Reporter');
    expect(Date.parse(records[0].time)).not.toBeNaN();
    expect(records[1]).toMatchObject({ level: 'error', msg: 'failed', error: 'password *** rejected' });
    expect(records[2]).toMatchObject({ level: 'info', event: 'progress', job: 'j', rows: 20, leads: 10, rate: 2000 });
    expect(out.text()).not.toContain('Reporter');
  });
});
