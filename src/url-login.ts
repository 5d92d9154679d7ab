// URLs that carry a login (a webhook's user:password, a connection or --state URL): the WHATWG
// parser accepts a user name or password with a '%' that is not a percent-escape, but every
// consumer that decodes them (decodeURIComponent, mysql2, pg, Basic auth) throws "URI malformed".
// These checks turn such a URL into a message that says what to fix, without its password.

/**
 * decodeURIComponent that never throws: the text as it is when it holds an invalid escape
 * (a '%' not followed by two hex digits, or bytes that are not UTF-8).
 */
export function decodeUrlPart(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

function decodes(text: string): boolean {
  try {
    decodeURIComponent(text);
    return true;
  } catch {
    return false;
  }
}

/**
 * The URL as typed, safe to print: everything between `scheme://user:` and the last '@' becomes
 * `***` (the last '@': a password that was not percent-encoded may hold '@', '#', '/' or ':').
 */
export function maskUrlLogin(text: string): string {
  const match = /^([a-z][a-z0-9+.-]*:\/\/)(.*)@/is.exec(text);
  if (!match) return text;
  const credentials = match[2];
  const colon = credentials.indexOf(':');
  if (colon < 0) return text;
  return `${match[1]}${credentials.slice(0, colon)}:***@${text.slice(match[0].length)}`;
}

/**
 * Why `new URL(text)` refused the text, when the reason can be named: a port that is not a
 * number from 0 to 65535. Undefined otherwise (the caller says the URL could not be parsed).
 */
export function unparsableUrlReason(text: string): string | undefined {
  const slashes = text.indexOf('//');
  if (slashes < 0) return undefined;
  const rest = text.slice(slashes + 2);
  // Host and port stand after the login's last '@' (an unencoded password may hold '/').
  const hostPort = rest.slice(rest.lastIndexOf('@') + 1).split(/[/?#]/)[0];
  const port = /^(?:\[[^\]]*\]|[^:[\]]*):(.*)$/.exec(hostPort)?.[1];
  if (port === undefined || port === '') return undefined;
  if (/^\d+$/.test(port) && Number(port) <= 65535) return undefined;
  return `the port "${port}" is not a port number (0 to 65535)`;
}

/**
 * What is wrong with the user name or password of a parsed URL, for a message (never quoting
 * the password): undefined when both decode.
 */
export function urlLoginProblem(url: URL): string | undefined {
  const part = !decodes(url.username) ? 'user name' : !decodes(url.password) ? 'password' : undefined;
  if (!part) return undefined;
  return `the ${part} has an invalid percent-escape: a % starts an escape of two hex digits of UTF-8 (%40 for @, %23 for #); write % itself as %25`;
}

/**
 * Parses a URL that may carry a login and returns it, or a message saying why it cannot be used
 * (not a URL, a bad port, an invalid percent-escape in the user name or password). Messages
 * never contain the password; the caller names the value with maskUrlLogin().
 */
export function parseLoginUrl(text: string): { url: URL } | { problem: string } {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return { problem: unparsableUrlReason(text) ?? 'not a URL' };
  }
  const problem = urlLoginProblem(url);
  return problem ? { problem } : { url };
}
