/** Where the CLI writes, and what stops a long-running command (tests inject all three). */
export interface CliStream {
  write(text: string): unknown;
  readonly isTTY?: boolean;
  /** Terminal width when a TTY. */
  readonly columns?: number;
}

export interface CliIo {
  stdout: CliStream;
  stderr: CliStream;
  /** Aborts `tail --follow` and other long work, like SIGINT does (tests use it). */
  signal?: AbortSignal;
}

export const processIo = (): CliIo => ({ stdout: process.stdout, stderr: process.stderr });
