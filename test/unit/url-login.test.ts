// The checks that keep "URI malformed" (decodeURIComponent on a login that is not percent-encoded
// properly) from ever reaching the user, and never quote a password while saying so.
import { describe, expect, it } from 'vitest';
import { decodeUrlPart, maskUrlLogin, parseLoginUrl, unparsableUrlReason } from '../../src/url-login.ts';

describe('URLs that carry a login', () => {
  it('decodeUrlPart decodes escapes and returns undecodable text as it is, never throwing', () => {
    expect(decodeUrlPart('p%40ss%23')).toBe('p@ss#');
    expect(decodeUrlPart('pa%zz')).toBe('pa%zz');
    expect(decodeUrlPart('%ff')).toBe('%ff'); // valid hex, not UTF-8
  });

  it('maskUrlLogin hides everything between user: and the last @, and leaves other URLs alone', () => {
    expect(maskUrlLogin('http://alice:pass%zz@127.0.0.1:1/x')).toBe('http://alice:***@127.0.0.1:1/x');
    expect(maskUrlLogin('mysql://root:ST@pw#SE/C@host/db')).toBe('mysql://root:***@host/db');
    expect(maskUrlLogin('mysql://root@host/db')).toBe('mysql://root@host/db');
    expect(maskUrlLogin('https://crm.example/leads')).toBe('https://crm.example/leads');
  });

  it('names the port when it is what new URL refused', () => {
    expect(unparsableUrlReason('postgres://u:p@h:99999/x')).toBe('the port "99999" is not a port number (0 to 65535)');
    expect(unparsableUrlReason('postgres://u:p/w@h:54x/x')).toBe('the port "54x" is not a port number (0 to 65535)');
    expect(unparsableUrlReason('http://[::1]:8080/')).toBeUndefined();
    expect(unparsableUrlReason('http://h:5432/')).toBeUndefined();
    expect(unparsableUrlReason('not a url')).toBeUndefined();
  });

  it('parseLoginUrl says which part has an invalid percent-escape, without quoting it', () => {
    for (const [text, part] of [
      ['http://alice:pw%zzXQ@h/', 'password'],
      ['http://alice:XQ%ff@h/', 'password'],
      ['http://al%zzice:XQ@h/', 'user name'],
    ]) {
      const result = parseLoginUrl(text);
      expect(result).toEqual({
        problem: expect.stringMatching(new RegExp(`^the ${part} has an invalid percent-escape`)),
      });
      expect(JSON.stringify(result)).not.toMatch(/XQ|%ff|%zz/);
    }
    expect(parseLoginUrl('http://alice:p%40ss@h/')).toEqual({ url: new URL('http://alice:p%40ss@h/') });
    expect(parseLoginUrl('nonsense')).toEqual({ problem: 'not a URL' });
  });
});
