import { describe, expect, it } from 'vitest';
import { redact } from '../../src/secrets.ts';
import { resolveStateLocation } from '../../src/state/state-location.ts';

describe('a --state URL registers its password as a secret, not its user name', () => {
  it('masks the password and every piece of an unencoded one, and leaves the user name readable', () => {
    // Unencoded, so refused (exit 2 at the CLI); its pieces are registered before the refusal.
    expect(() => resolveStateLocation('mysql://ledgeruser:Pw1@part#Tail77@127.0.0.1/db', {}, '/w')).toThrow(
      /could not be parsed unambiguously/,
    );
    const line = 'ledgeruser wrote /home/ledgeruser/x with Pw1@part#Tail77 then part and Tail77 and Pw1';
    expect(redact(line)).toBe('ledgeruser wrote /home/ledgeruser/x with *** then *** and *** and ***');
  });

  it('a URL with a user and no password registers no piece of the user name', () => {
    expect(() => resolveStateLocation('postgres://onlyuser7@127.0.0.1/db', {}, '/w')).not.toThrow();
    expect(redact('onlyuser7 in /home/onlyuser7')).toBe('onlyuser7 in /home/onlyuser7');
  });

  it('a URL without a password is shown as typed, not as ***; a password in its query is masked and not shown', () => {
    const plain = 'mysql://ledger8@127.0.0.1:3306/ledger_db';
    expect(resolveStateLocation(plain, {}, '/w').display).toBe(plain);
    expect(redact(`state ${plain}: failed`)).toBe(`state ${plain}: failed`);
    const withQuery = 'postgres://ledger9@127.0.0.1:5432/db?sslmode=disable&password=Qpw_991';
    expect(resolveStateLocation(withQuery, {}, '/w').display).toBe('postgres://ledger9@127.0.0.1:5432/db');
    expect(redact('sent password=Qpw_991 with sslmode=disable')).toBe('sent password=*** with sslmode=disable');
  });
});
