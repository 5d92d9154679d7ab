// Typed errors: everything below the CLI throws one of these; the CLI alone maps them
// to messages and exit codes (0 ok, 1 run failed, 2 invalid input, 3 not all delivered).

export const EXIT = { ok: 0, failed: 1, invalid: 2, partial: 3 } as const;

/** One problem in an input file, as data: where it is and what is wrong. */
export interface SpecIssue {
  file: string;
  line?: number;
  column?: number;
  /** Key path inside the file, e.g. audience.where.age */
  key?: string;
  message: string;
}

export function formatIssue(issue: SpecIssue): string {
  const where = [issue.file, issue.line, issue.column].filter((p) => p !== undefined).join(':');
  return `${where}: ${issue.key ? `${issue.key}: ` : ''}${issue.message}`;
}

/** Invalid job, connections file or usage: exit 2, nothing was written. */
export class SpecError extends Error {
  readonly exitCode = EXIT.invalid;
  constructor(readonly issues: SpecIssue[]) {
    super(issues.map(formatIssue).join('\n'));
    this.name = 'SpecError';
  }
}

/** The run could not complete (database down, missing table, destination broken): exit 1. */
export class RunError extends Error {
  readonly exitCode = EXIT.failed;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'RunError';
  }
}

/** Another run of the same job holds the lock: exit 1 with who holds it. */
export class LockedError extends RunError {
  constructor(message: string) {
    super(message);
    this.name = 'LockedError';
  }
}

/** Thrown (or used as an abort reason) when the user or a timeout cancels a run. */
export class CancelledError extends RunError {
  constructor(message = 'cancelled') {
    super(message);
    this.name = 'CancelledError';
  }
}
