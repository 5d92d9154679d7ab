// A csv or xlsx path template: {{job}}, {{date}} (the run's local date in the job's timezone) and
// {{run_id}} are replaced at run time; the same replacement lets `validate` foresee the files
// two runs of a schedule would write.

export const PATH_PLACEHOLDERS = ['job', 'date', 'run_id'] as const;

/** A {{…}} placeholder of `template` that is none of PATH_PLACEHOLDERS, if there is one. */
export function unknownPlaceholder(template: string): string | undefined {
  return /\{\{(?!job\}\}|date\}\}|run_id\}\})[^}]*\}\}/.exec(template)?.[0];
}

/** The path a run writes: `date` is YYYY-MM-DD in the job's timezone. */
export function fillPathTemplate(template: string, values: { job: string; runId: string; date: string }): string {
  return template
    .replaceAll('{{job}}', values.job)
    .replaceAll('{{date}}', values.date)
    .replaceAll('{{run_id}}', values.runId);
}
