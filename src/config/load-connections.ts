// Finds, reads and validates connections.yaml. Lookup order: --connections, then
// $CRM_LEADS_CONNECTIONS, then ./connections.yaml, then connections.yaml beside the job file
// (so that `crm-leads run examples/quickstart.yaml` works from any directory).
import { existsSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { SpecError, type SpecIssue } from '../errors.ts';
import { registerSecret } from '../secrets.ts';
import { CONNECTION_KEYS, connectionsSchema, type ConnectionSpec } from './connection-schema.ts';
import { interpolateEnv } from './interpolate.ts';
import { checkScalarFidelity } from './scalar-fidelity.ts';
import { readYamlSource } from './yaml-source.ts';
import { zodIssues } from './zod-issues.ts';

export interface Connections {
  file: string;
  byName: Map<string, ConnectionSpec>;
}

export function findConnectionsFile(
  explicit: string | undefined,
  jobFile: string | undefined,
  env = process.env,
): string {
  const candidates = [
    explicit,
    env.CRM_LEADS_CONNECTIONS,
    'connections.yaml',
    jobFile && resolve(dirname(jobFile), 'connections.yaml'),
  ];
  for (const [i, candidate] of candidates.entries()) {
    if (!candidate) continue;
    // An explicit choice that does not exist is an error, not a reason to look elsewhere.
    if (i < 2 || existsSync(candidate)) return resolve(candidate);
  }
  throw new SpecError([
    {
      file: 'connections.yaml',
      message: 'no connections file: pass --connections FILE, set CRM_LEADS_CONNECTIONS, or create ./connections.yaml',
    },
  ]);
}

export function loadConnections(file: string, env = process.env): Connections {
  const source = readYamlSource(file);
  const issues: SpecIssue[] = [];
  interpolateEnv(source, env, issues);
  checkScalarFidelity(source, issues);
  if (issues.length) throw new SpecError(issues);
  const parsed = connectionsSchema.safeParse(source.doc.toJS() ?? {});
  if (!parsed.success) throw new SpecError(zodIssues(source, parsed.error, CONNECTION_KEYS));
  const byName = new Map<string, ConnectionSpec>();
  for (const [name, spec] of Object.entries(parsed.data)) {
    for (const secretKey of ['password', 'url', 'connect_string'] as const)
      registerSecret((spec as Record<string, unknown>)[secretKey]);
    // Relative SQLite paths resolve against the connections file, not the current directory.
    if (spec.type === 'sqlite' && spec.path !== ':memory:' && !isAbsolute(spec.path))
      spec.path = resolve(dirname(file), spec.path);
    byName.set(name, spec);
  }
  return { file, byName };
}
