// Secrets (passwords, tokens, webhook secrets, URL credentials) are registered as they are
// loaded; every line the CLI prints passes through redact(), so no format or channel leaks one.
import { decodeUrlPart } from './url-login.ts';

const secrets = new Set<string>();

export function registerSecret(value: unknown): void {
  if (typeof value !== 'string' && typeof value !== 'number') return;
  const text = String(value);
  if (text.length >= 3) add(text);
  // A URL's password is a secret too, and so is its percent-decoded form.
  try {
    const url = new URL(text);
    if (url.password) {
      add(url.password);
      add(decodeUrlPart(url.password));
    }
  } catch {
    /* not a URL */
  }
}

// Printed JSON (summaries, json logs) escapes quotes and backslashes: a secret holding one
// appears there in its escaped form, which must be redacted too.
function add(secret: string): void {
  secrets.add(secret);
  secrets.add(JSON.stringify(secret).slice(1, -1));
}

export function redact(text: string): string {
  let out = text;
  // Longest first, so a secret that contains another is replaced whole.
  for (const secret of [...secrets].sort((a, b) => b.length - a.length)) {
    if (out.includes(secret)) out = out.split(secret).join('***');
  }
  return out.replace(/(\w+:\/\/[^:/@\s]*:)[^@\s]+@/g, '$1***@');
}
