import { patchKafkajsSource } from './kafkajs-source-patch.js';
import type { NodeRequire } from './node-require.js';

/**
 * Fixes a race in kafkajs 2.2.4's producer (src/producer/sendMessages.js) that writes records
 * twice, or drops them, when one send spans partitions led by several brokers.
 *
 * kafkajs sends one produce request per leader broker, in parallel, and remembers which brokers
 * answered so that a retry goes only to the others. It waits for them with `Promise.all`, which
 * rejects as soon as ONE request fails (on a replicated cluster typically CONCURRENT_TRANSACTIONS
 * from AddPartitionsToTxn right after the previous commit, or NOT_LEADER during a leader move)
 * while the other brokers' requests are still in flight and not yet marked as answered. The retry
 * then sends those requests again: once the first copy is acknowledged, the second goes out with
 * the next sequence numbers and the broker appends the same records a second time, in the same
 * transaction. When the first copy fails instead, its sequence rollback interleaves with the
 * second copy and a later batch can reuse numbers the broker already holds: acknowledged as a
 * duplicate, never written. Both were measured on a 3-broker cluster with the Java verifier
 * (751 of 6,000 event IDs twice with no fault at all; 42 records without output after a rolling
 * restart). A single broker never shows it: every send is one request.
 *
 * The fix waits for every request of an attempt to settle before the retry decides what to send
 * again (`Promise.allSettled`, then the first failure is thrown as before), so a retry only ever
 * resends requests that failed. It is applied as a one-line edit of the pinned module's source
 * at load time; if the source is not the pinned one, this throws rather than guess.
 */
export const SEND_MESSAGES_MODULE = 'kafkajs/src/producer/sendMessages.js';

const RACY = 'await Promise.all(requests)';
const SETTLED =
  'const settled = await Promise.allSettled(requests); ' +
  "const failed = settled.find(r => r.status === 'rejected'); " +
  'if (failed) throw failed.reason';

/** Returns true when the fixed sendMessages is active (installed now or before). */
export const installSettledSends = (require: NodeRequire): boolean =>
  patchKafkajsSource(require, SEND_MESSAGES_MODULE, RACY, SETTLED, 'settledSends');

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
