import { CliError } from '../../common/src/errors.js';

/** A mistake by the person at the keyboard: print the message, exit 2, no stack trace. */
export class UsageError extends CliError {
  constructor(message: string, options?: ErrorOptions) {
    super('CLI_ERR_USAGE', message, options);
    this.name = 'UsageError';
  }
}

/** The command ran and failed for a reason the user should read (exit 1, no stack trace). */
export class CommandFailed extends CliError {
  constructor(message: string, options?: ErrorOptions) {
    super('CLI_ERR_FAILED', message, options);
    this.name = 'CommandFailed';
  }
}
