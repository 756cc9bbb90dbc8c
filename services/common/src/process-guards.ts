import { SERVICE_ERRORS } from './errors.js';
import type { Logger } from './logger.js';

/**
 * The last line of defence of a service process: an exception nothing caught, or a rejected
 * promise nobody awaited, is a bug. Node's default for both is to print and exit at once, which
 * skips the service's clean stop (finish the transaction in flight, leave the consumer group,
 * drain in-flight webhooks). This logs the error at fatal level and runs `shutdown` (the same
 * path as SIGTERM) with exit code 1 (SVC_ERR_UNEXPECTED), once; a supervisor then restarts the
 * service.
 */
export function exitCleanlyOnUnexpectedErrors(
  logger: Logger,
  shutdown: (reason: string, exitCode: number) => Promise<void>,
): void {
  let handling = false;
  const handle = (kind: string) => (err: unknown) => {
    logger.fatal({ err, kind, code: 'SVC_ERR_UNEXPECTED' }, 'unexpected error; shutting down');
    if (handling) return;
    handling = true;
    void shutdown(kind, SERVICE_ERRORS.SVC_ERR_UNEXPECTED.exitCode);
  };
  process.on('uncaughtException', handle('uncaughtException'));
  process.on('unhandledRejection', handle('unhandledRejection'));
}
