// The failures the operations shared by the CLI and the console throw: a usage mistake and a
// failure the operator should read. The CLI turns them into exit codes (CLI_ERRORS), the console
// into HTTP answers.
import { CliError } from '../errors.js';

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
