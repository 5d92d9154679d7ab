// `crm-leads validate`: jobs and connections checked without connecting.
import { loadInputs } from './load-inputs.ts';
import { handleError, printErr } from './output.ts';

export async function validateCommand(jobFiles: string[], opts: { connections?: string }): Promise<void> {
  try {
    const { jobs, connections } = loadInputs(jobFiles, opts.connections);
    for (const job of jobs) printErr(`ok: ${job.file} (${job.name}, source ${job.source})`);
    printErr(`ok: ${connections.file} (${connections.byName.size} connections)`);
  } catch (err) {
    handleError(err);
  }
}
