// Turns zod's issues into SpecIssues with positions, plain messages and suggestions.
import type { z } from 'zod';
import type { SpecIssue } from '../errors.ts';
import { suggest } from './suggest.ts';
import { issueAt, type YamlSource } from './yaml-source.ts';

export function zodIssues(
  source: YamlSource,
  error: z.ZodError,
  vocabulary: readonly string[],
  prefix: PropertyKey[] = [],
  places: Readonly<Record<string, string>> = {},
): SpecIssue[] {
  const out: SpecIssue[] = [];
  for (const issue of error.issues) {
    const path = [...prefix, ...issue.path];
    const branch = issue.code === 'invalid_union' ? shapedBranch(issue) : undefined;
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys)
        out.push(issueAt(source, [...path, key], unknownKeyMessage(key, vocabulary, places), true));
    } else if (branch) {
      // A union (lead.fields: a list or a map) whose value has one branch's shape: that
      // branch's own problems name the bad item, where "not a valid value here" would not.
      out.push(...zodIssues(source, { issues: branch } as z.ZodError, vocabulary, path, places));
    } else if (issue.code === 'invalid_key') {
      out.push(issueAt(source, path, issue.issues.map((i) => i.message).join('; '), true));
    } else {
      out.push(issueAt(source, path, plainMessage(issue, path)));
    }
  }
  return out;
}

// The one union branch whose type matched (its issues are not "expected X" at its root).
function shapedBranch(issue: z.core.$ZodIssue): z.core.$ZodIssue[] | undefined {
  const branches = (issue as { errors?: z.core.$ZodIssue[][] }).errors ?? [];
  const shaped = branches.filter(
    (b) => b.length > 0 && !b.some((i) => i.code === 'invalid_type' && i.path.length === 0),
  );
  return shaped.length === 1 ? shaped[0] : undefined;
}

function plainMessage(issue: z.core.$ZodIssue, path: PropertyKey[]): string {
  if (issue.code === 'invalid_type' && /received undefined/.test(issue.message)) return 'required key is missing';
  if (issue.code === 'invalid_type') return issue.message.replace(/^Invalid input: /, '');
  if (issue.code === 'invalid_union') {
    const note = (issue as { note?: string }).note;
    if (note === 'No matching discriminator')
      return path.includes('destinations')
        ? 'unknown destination type; expected csv, xlsx, webhook or table'
        : 'unknown connection type; expected sqlite, mysql, mariadb, postgres, postgresql, hive or oracle';
    return 'not a valid value here';
  }
  if (issue.code === 'invalid_value') return issue.message.replace(/^Invalid option: /, '');
  return issue.message;
}

/** "unknown key" with where a known key belongs, or the nearest known key for a misspelling. */
function unknownKeyMessage(
  key: string,
  vocabulary: readonly string[],
  places: Readonly<Record<string, string>>,
): string {
  const place = places[key];
  if (place) return `unknown key "${key}" here: it belongs under ${place} (check the indentation)`;
  if (vocabulary.includes(key))
    return `unknown key "${key}" here: it belongs to another section (check the indentation)`;
  return `unknown key "${key}"${suggest(key, vocabulary)}`;
}
