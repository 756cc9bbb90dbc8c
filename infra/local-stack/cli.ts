// `npm run infra:up|infra:down|infra:status`: the local Kafka + registry, from Maven Central jars.
// `infra:up -- --brokers 3` (or LOCAL_KAFKA_NODES=3) starts a replicated 3-node KRaft cluster.
import { rmSync } from 'node:fs';
import { nodePortsOf } from './stack.js';
import { recordedPorts, upLocalStack } from './local-stack.js';
import { localStackDir } from './paths.js';
import { stackStatus, stopStack } from './stack.js';
import { APICURIO_VERSION, KAFKA_VERSION } from './versions.js';

/** `--brokers N` / `--brokers=N`, else undefined (LOCAL_KAFKA_NODES decides). */
function brokersFlag(flags: string[]): number | undefined {
  const i = flags.findIndex((f) => f === '--brokers' || f.startsWith('--brokers='));
  if (i < 0) return undefined;
  const text = flags[i]!.includes('=') ? flags[i]!.split('=')[1] : flags[i + 1];
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1 || n > 9) throw new Error(`--brokers takes 1..9, not ${text}`);
  return n;
}

async function up(flags: string[]): Promise<void> {
  const started = Date.now();
  const { stack } = await upLocalStack(process.env, brokersFlag(flags));
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  const nodes = stack.kafkaNodes.length;
  console.log(
    `local stack up in ${seconds}s (Kafka ${KAFKA_VERSION}${nodes > 1 ? `, ${nodes} nodes: RF ${Math.min(3, nodes)}, min ISR ${nodes >= 3 ? 2 : 1}` : ''}, Apicurio Registry ${APICURIO_VERSION})`,
  );
  console.log(`  KAFKA_BROKERS=${stack.brokers}`);
  console.log(`  SCHEMA_REGISTRY_URL=${stack.registryUrl}`);
  console.log(`  data and logs: ${localStackDir()}`);
}

async function down(clean: boolean): Promise<void> {
  const dir = localStackDir();
  const outcome = await stopStack(dir);
  console.log(`kafka: ${outcome.kafka}, registry: ${outcome.registry}`);
  if (clean) {
    rmSync(dir, { recursive: true, force: true });
    console.log(`removed ${dir}`);
  }
}

function status(): void {
  const s = stackStatus(localStackDir());
  const ports = recordedPorts();
  const nodes = ports ? nodePortsOf(ports) : [];
  s.kafkaPids.forEach((pid, i) => {
    const name = s.kafkaPids.length > 1 ? `kafka node ${i + 1}` : 'kafka';
    const port = nodes[i]?.port;
    console.log(`${name}: ${pid ? `running (pid ${pid}, 127.0.0.1:${port})` : 'stopped'}`);
  });
  console.log(
    `registry: ${s.registryPid ? `running (pid ${s.registryPid}, port ${ports?.registry})` : 'stopped'}`,
  );
}

const [command, ...flags] = process.argv.slice(2);
try {
  if (command === 'up') await up(flags);
  else if (command === 'down') await down(flags.includes('--clean'));
  else if (command === 'status') status();
  else {
    console.error('usage: stack up [--brokers N] | down [--clean] | status');
    process.exitCode = 2;
  }
} catch (err) {
  console.error((err as Error).message);
  process.exitCode = 1;
}
