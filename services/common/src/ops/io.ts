// Where an operation writes (stdout, stderr) and what stops it: the CLI passes the process's
// streams, the console its log and a request's signal.

/** Where an operation writes, and what stops a long-running one (tests inject all three). */
export interface OpsStream {
  write(text: string): unknown;
  readonly isTTY?: boolean;
  /** Terminal width when a TTY. */
  readonly columns?: number;
}

export interface OpsIo {
  stdout: OpsStream;
  stderr: OpsStream;
  /** Aborts `tail --follow` and other long work, like SIGINT does (tests use it). */
  signal?: AbortSignal;
}

export const processIo = (): OpsIo => ({ stdout: process.stdout, stderr: process.stderr });
