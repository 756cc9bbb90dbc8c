/** A mistake by the person at the keyboard: print the message, exit 2, no stack trace. */
export class UsageError extends Error {
  readonly exitCode = 2;
  override name = 'UsageError';
}

/** The command ran and failed for a reason the user should read (exit 1, no stack trace). */
export class CommandFailed extends Error {
  readonly exitCode = 1;
  override name = 'CommandFailed';
}
