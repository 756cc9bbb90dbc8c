import { patchKafkajsSource } from './kafkajs-source-patch.js';
import type { NodeRequire } from './node-require.js';

/**
 * kafkajs' request queue (src/network/requestQueue/index.js) schedules its throttle check with
 * `throttledUntil - Date.now()`, a large negative delay when nothing is throttled (its initial
 * `throttledUntil` is -1). Node 20 runs such a timer after 1 ms silently; Node 24 does the same
 * but prints a TimeoutNegativeWarning to stderr once per process, which broke the CLI's
 * one-line error output. Clamping the delay to 1 ms keeps the behaviour and drops the warning.
 */
export const REQUEST_QUEUE_MODULE = 'kafkajs/src/network/requestQueue/index.js';

/** Returns true when the clamped request queue timer is active (installed now or before). */
export const installPositiveThrottleTimer = (require: NodeRequire): boolean =>
  patchKafkajsSource(
    require,
    REQUEST_QUEUE_MODULE,
    '}, scheduleAt)',
    '}, Math.max(1, scheduleAt))',
    'positiveThrottleTimer',
  );
