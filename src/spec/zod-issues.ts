// Turns zod's issues into SpecIssues with positions, plain messages and suggestions.
import type { z } from 'zod';
import type { SpecIssue } from '../errors.ts';
import { suggest } from './suggest.ts';
import { issueAt, type YamlSource } from './yaml-source.ts';

export function zodIssues(source: YamlSource, error: z.ZodError, vocabulary: readonly string[], prefix: PropertyKey[] = []): SpecIssue[] {
  const out: SpecIssue[] = [];
  for (const issue of error.issues) {
    const path = [...prefix, ...issue.path];
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) out.push(issueAt(source, [...path, key], `unknown key "${key}"${suggest(key, vocabulary)}`, true));
    } else {
      out.push(issueAt(source, path, plainMessage(issue, path)));
    }
  }
  return out;
}

function plainMessage(issue: z.core.$ZodIssue, path: PropertyKey[]): string {
  if (issue.code === 'invalid_type' && /received undefined/.test(issue.message)) return 'required key is missing';
  if (issue.code === 'invalid_type') return issue.message.replace(/^Invalid input: /, '');
  if (issue.code === 'invalid_union') {
    const note = (issue as { note?: string }).note;
    if (note === 'No matching discriminator')
      return path.includes('destinations') ? 'unknown destination type; expected csv, webhook or table' : 'unknown connection type; expected sqlite, mysql, postgres, hive or oracle';
    return 'not a valid value here';
  }
  if (issue.code === 'invalid_value') return issue.message.replace(/^Invalid option: /, '');
  return issue.message;
}
