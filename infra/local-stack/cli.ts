// `npm run infra:up|infra:down|infra:status`: the local Kafka + registry, from Maven Central jars.
import { rmSync } from 'node:fs';
import { recordedPorts, upLocalStack } from './local-stack.js';
import { localStackDir } from './paths.js';
import { stackStatus, stopStack } from './stack.js';
import { APICURIO_VERSION, KAFKA_VERSION } from './versions.js';

async function up(): Promise<void> {
  const started = Date.now();
  const { stack } = await upLocalStack();
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  console.log(
    `local stack up in ${seconds}s (Kafka ${KAFKA_VERSION}, Apicurio Registry ${APICURIO_VERSION})`,
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
  console.log(
    `kafka: ${s.kafkaPid ? `running (pid ${s.kafkaPid}, 127.0.0.1:${ports?.kafka})` : 'stopped'}`,
  );
  console.log(
    `registry: ${s.registryPid ? `running (pid ${s.registryPid}, port ${ports?.registry})` : 'stopped'}`,
  );
}

const [command, ...flags] = process.argv.slice(2);
try {
  if (command === 'up') await up();
  else if (command === 'down') await down(flags.includes('--clean'));
  else if (command === 'status') status();
  else {
    console.error('usage: stack up | down [--clean] | status');
    process.exitCode = 2;
  }
} catch (err) {
  console.error((err as Error).message);
  process.exitCode = 1;
}
