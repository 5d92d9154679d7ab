// How the pipeline tells the outside what it is doing. Only the CLI implements it (prints);
// everything below calls it and never writes to a terminal itself.
export interface Progress {
  job: string;
  rows: number;
  leads: number;
  elapsedMs: number;
}

export interface Reporter {
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  progress(progress: Progress): void;
}

export const silentReporter: Reporter = { info() {}, warn() {}, progress() {} };
