// The type each command registers with, so commands/ need not import program.ts.
import type { OpsContext } from '../../common/src/ops/context.js';

/**
 * Runs one command body with a context; the body returns the process exit code. Built by
 * program.ts and handed to each command's register function (here, so commands/ need not import
 * program.ts, which imports them).
 */
export type Runner = (body: (ctx: OpsContext) => Promise<number>) => Promise<void>;
