// `npm run infra:up|infra:down|infra:status`: the local Kafka + registry, from Maven Central jars.
import { existsSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { int, loadConfig } from '../../services/common/src/config.js';
import { localStackDir } from './paths.js';
import { stackStatus, startStack, stopStack, type StackPorts } from './stack.js';
import { APICURIO_VERSION, KAFKA_VERSION } from './versions.js';

const portsSchema = {
  KAFKA_PORT: int({ default: 9092, min: 1, max: 65535, describe: 'local broker port (infra:up)' }),
  KAFKA_CONTROLLER_PORT: int({
    default: 9093,
    min: 1,
    max: 65535,
    describe: 'local KRaft controller port',
  }),
  REGISTRY_PORT: int({ default: 8081, min: 1, max: 65535, describe: 'local registry HTTP port' }),
  REGISTRY_MANAGEMENT_PORT: int({
    default: 8082,
    min: 1,
    max: 65535,
    describe: 'registry management (health) port',
  }),
};

const stateFile = () => join(localStackDir(), 'stack.json');

function wantedPorts(): StackPorts {
  const c = loadConfig(portsSchema);
  return {
    kafka: c.KAFKA_PORT,
    controller: c.KAFKA_CONTROLLER_PORT,
    registry: c.REGISTRY_PORT,
    registryManagement: c.REGISTRY_MANAGEMENT_PORT,
  };
}

/** Ports of the running stack win over the environment, so `up` twice never starts a second one. */
function recordedPorts(): StackPorts | undefined {
  if (!existsSync(stateFile())) return undefined;
  return (JSON.parse(readFileSync(stateFile(), 'utf8')) as { ports: StackPorts }).ports;
}

async function up(): Promise<void> {
  const dir = localStackDir();
  const status = stackStatus(dir);
  const recorded = recordedPorts();
  const ports =
    (status.kafkaPid ?? status.registryPid) !== undefined && recorded ? recorded : wantedPorts();
  const started = Date.now();
  mkdirSync(dir, { recursive: true });
  const stack = await startStack({ dir, ports, persistentRegistry: true });
  writeFileSync(
    stateFile(),
    JSON.stringify({ ports, brokers: stack.brokers, registryUrl: stack.registryUrl }, null, 2),
  );
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  console.log(
    `local stack up in ${seconds}s (Kafka ${KAFKA_VERSION}, Apicurio Registry ${APICURIO_VERSION})`,
  );
  console.log(`  KAFKA_BROKERS=${stack.brokers}`);
  console.log(`  SCHEMA_REGISTRY_URL=${stack.registryUrl}`);
  console.log(`  data and logs: ${dir}`);
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
  const recorded = recordedPorts();
  console.log(
    `kafka: ${s.kafkaPid ? `running (pid ${s.kafkaPid}, 127.0.0.1:${recorded?.kafka})` : 'stopped'}`,
  );
  console.log(
    `registry: ${s.registryPid ? `running (pid ${s.registryPid}, port ${recorded?.registry})` : 'stopped'}`,
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
