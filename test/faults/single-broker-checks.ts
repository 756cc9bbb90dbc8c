// The checks only the single-broker suite (faults.test.ts) makes after a scenario: recovery within
// FAULTS_RECOVERY_LIMIT_S with /readyz 503 during the outage and 200 after it, and what the CLI
// shows of the outputs and the DLQ against the verifier's count.
import { expect } from 'vitest';
import { runCli } from '../../services/cli/src/program.js';
import { DOMAIN_KEYS, topicNames } from '../../services/common/src/topics.js';
import { evidence } from './expectations.js';
import { faultConfig, type FaultStack } from './fault-env.js';
import { sample } from './report.js';
import type { ScenarioOutcome } from './scenario-runner.js';

const LIMIT_S = faultConfig.FAULTS_RECOVERY_LIMIT_S;

/** Recovery within the limit and /readyz: 503 during the outage, 200 afterwards, on both services. */
export function expectRecovered(o: ScenarioOutcome, opts: { readiness: boolean }): void {
  const why = evidence(o);
  const recovery = o.row?.recoveryS;
  expect
    .soft(recovery, `the transformer never committed again after the fault${why}`)
    .not.toBeNull();
  if (typeof recovery === 'number')
    expect.soft(recovery, `recovery_s over ${LIMIT_S}s${why}`).toBeLessThanOrEqual(LIMIT_S);
  if (!opts.readiness) return;
  for (const service of Object.keys(o.readinessAfter)) {
    const during = o.readinessDuring[service] ?? {};
    expect
      .soft(
        during['503'] ?? 0,
        `${service} /readyz never answered 503 during the outage: ${JSON.stringify(during)}`,
      )
      .toBeGreaterThan(0);
    expect.soft(o.readinessAfter[service], `${service} /readyz at the end`).toBe('200');
  }
}

/**
 * What ops see with the CLI after the fault: `ghl-pipeline tail` of every output topic and
 * `dlq list` read with the project's kafkajs (whose read_committed filter had to be fixed: the
 * transactions the fault aborted interleave on the output partitions). Each event ID must show
 * once, and the totals must be the independent verifier's.
 */
export function cliSeesExactlyOnce(stack: FaultStack): (o: ScenarioOutcome) => Promise<void> {
  return async function expectCliSeesExactlyOnce(o: ScenarioOutcome): Promise<void> {
    if (!o.row) return;
    const env = {
      KAFKA_BROKERS: stack.brokers,
      SCHEMA_REGISTRY_URL: stack.registryUrl,
      TOPIC_PREFIX: o.prefix,
    };
    const run = async (args: string[]) => {
      let stdout = '';
      let stderr = '';
      const code = await runCli(['--json', ...args], env, {
        stdout: { write: (t: string) => (stdout += t) },
        stderr: { write: (t: string) => (stderr += t) },
      });
      expect(code, `ghl-pipeline ${args.join(' ')}: ${stderr}`).toBe(0);
      return stdout;
    };
    const names = topicNames(o.prefix);
    const seen = new Map<string, number>();
    for (const domain of DOMAIN_KEYS) {
      const lines = (await run(['tail', names[domain]])).split('\n').filter((l) => l.trim());
      for (const line of lines) {
        const id = (JSON.parse(line) as { headers: Record<string, string> }).headers.ce_id ?? '';
        seen.set(id, (seen.get(id) ?? 0) + 1);
      }
    }
    const repeated = [...seen].filter(([, n]) => n > 1).map(([id]) => id);
    expect.soft(repeated.length, `tail shows these event IDs twice: ${sample(repeated)}`).toBe(0);
    expect
      .soft(seen.size, 'tail shows as many outputs as the verifier counted')
      .toBe(o.row.outputs);
    const dlq = JSON.parse(await run(['dlq', 'list'])) as unknown[];
    expect.soft(dlq.length, 'dlq list shows what the verifier counted').toBe(o.row.dlq);
  };
}
