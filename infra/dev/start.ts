// `npm start`: the whole pipeline on this machine, in one command. After the (incremental) build
// that npm's prestart runs, it brings
// the local Kafka + registry up (reusing a running one), applies topics, registers schemas, runs
// the ingress, the transformer and the ops console with prefixed logs, and prints a signed curl
// to try it and the console's address with its token.
// Ctrl-C / SIGTERM stops what it started: the services, and the stack if it started it.
import { createHmac, randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { localStackDir } from '../local-stack/paths.js';
import { upLocalStack } from '../local-stack/local-stack.js';
import { stackStatus, type StackHandle } from '../local-stack/stack.js';
import { int, loadConfig, optionalStr } from '../../services/common/src/config.js';
import { createKafka } from '../../services/common/src/kafka/kafka-client.js';
import { TRANSFORMER_NODE_FLAGS } from '../../services/common/src/node-flags.js';
import { projectRoot } from '../../services/common/src/project-root.js';
import { registerDomainSchemas } from '../../services/common/src/schema-registration.js';
import { applyTopics } from '../../services/common/src/kafka/topic-apply.js';
import { topicNames, topicSpecs } from '../../services/common/src/topics.js';
import { startService, waitHttpOk, type ServiceProcess } from './child-service.js';
import { devSecret } from './dev-secret.js';

const root = projectRoot();
const say = (line = '') => process.stdout.write(`${line}\n`);

const env = loadConfig({
  KAFKA_BROKERS: optionalStr({ describe: 'an existing broker (skips the local stack)' }),
  SCHEMA_REGISTRY_URL: optionalStr({ describe: 'an existing registry (skips the local stack)' }),
  KAFKA_CONTROLLER_PORT: int({
    default: 9093,
    min: 1,
    max: 65535,
    describe: 'local controller port',
  }),
  REGISTRY_MANAGEMENT_PORT: int({
    default: 8082,
    min: 1,
    max: 65535,
    describe: 'registry management port',
  }),
  INGRESS_HOST: optionalStr({ describe: 'ingress address' }),
  INGRESS_PORT: int({ default: 3000, min: 1, max: 65535, describe: 'ingress port' }),
  WEBHOOK_PATH: optionalStr({ describe: 'webhook path' }),
  WEBHOOK_HMAC_SECRETS: optionalStr({
    describe: 'HMAC secrets (default: the generated dev secret)',
  }),
  TRANSFORMER_METRICS_PORT: int({
    default: 9464,
    min: 1,
    max: 65535,
    describe: 'transformer metrics port',
  }),
  TOPIC_PREFIX: optionalStr({ describe: 'topic prefix' }),
  CONSOLE_PORT: int({ default: 3300, min: 1, max: 65535, describe: 'console port' }),
  CONSOLE_TOKEN: optionalStr({ describe: 'console token (default: a new one per run)' }),
});

const services: ServiceProcess[] = [];
let stack: StackHandle | undefined;
let stopping = false;

async function stopAll(reason: string, code: number): Promise<void> {
  // Services exit while we stop them; those exits call here too and must not cut the stop short.
  if (stopping) return;
  stopping = true;
  say(`\n[start] ${reason}: stopping…`);
  const outcomes = await Promise.all(
    services.map(async (s) => `${s.name} ${await s.stop(20_000)}`),
  );
  if (outcomes.length > 0) say(`[start] ${outcomes.join(', ')}`);
  if (stack) {
    await stack.stop();
    say('[start] local Kafka and registry stopped');
  }
  process.exit(code);
}
process.on('SIGINT', () => void stopAll('SIGINT', 0));
process.on('SIGTERM', () => void stopAll('SIGTERM', 0));
// If whatever started us (npm, a shell) goes away without passing a signal on, stop anyway
// rather than leave the services running with nobody to stop them.
const parent = process.ppid;
setInterval(() => {
  if (process.ppid !== parent) void stopAll('parent process exited', 0);
}, 500).unref();

try {
  let brokers = env.KAFKA_BROKERS;
  let registryUrl = env.SCHEMA_REGISTRY_URL;
  if (!brokers || !registryUrl) {
    const running = stackStatus(localStackDir());
    say(
      running.kafkaPid !== undefined && running.registryPid !== undefined
        ? '[start] reusing the running local Kafka and registry'
        : '[start] starting local Kafka and registry (Maven Central jars)…',
    );
    const { stack: handle, started } = await upLocalStack();
    if (started) stack = handle;
    brokers = handle.brokers;
    registryUrl = handle.registryUrl;
  }

  const prefix = env.TOPIC_PREFIX ?? '';
  const names = topicNames(prefix);
  const admin = createKafka({ brokers: brokers.split(','), clientId: 'npm-start' }).admin();
  await admin.connect();
  // On a replicated cluster (LOCAL_KAFKA_NODES=3) the topics get what production runs: RF 3,
  // min ISR 2, so acks=all survives one node down and refuses writes with two down.
  const nodes = (await admin.describeCluster()).brokers.length;
  const outcomes = await applyTopics(
    admin,
    topicSpecs(prefix, nodes >= 3 ? { replicationFactor: 3, minInsyncReplicas: 2 } : {}),
  );
  await admin.disconnect();
  const created = outcomes.filter((o) => o.status === 'created').length;
  const drift = outcomes.filter((o) => o.status === 'drift');
  say(
    `[start] topics: ${created} created, ${outcomes.length - created - drift.length} unchanged${drift.length ? `, ${drift.length} with drift (see: npx ghl-pipeline topics apply; configs: --alter-configs)` : ''}`,
  );
  const catalog = await registerDomainSchemas(registryUrl, names, {
    deadline: Date.now() + 60_000,
  });
  say(
    `[start] schemas registered: ${Object.entries(catalog.ids)
      .map(([d, id]) => `${d}=${id}`)
      .join(' ')}`,
  );

  const { secret, file: secretFile, created: newSecret } = devSecret();
  const secrets = env.WEBHOOK_HMAC_SECRETS ?? secret;
  const host = env.INGRESS_HOST ?? '127.0.0.1';
  const path = env.WEBHOOK_PATH ?? '/webhooks/ghl';
  const common = {
    ...process.env,
    KAFKA_BROKERS: brokers,
    SCHEMA_REGISTRY_URL: registryUrl,
    TOPIC_PREFIX: prefix,
  };
  const ingress = startService(
    'ingress',
    join(root, 'dist/services/ingress/src/main.js'),
    {
      ...common,
      INGRESS_HOST: host,
      INGRESS_PORT: String(env.INGRESS_PORT),
      WEBHOOK_PATH: path,
      WEBHOOK_HMAC_SECRETS: secrets,
    },
    root,
  );
  const transformer = startService(
    'transformer',
    join(root, 'dist/services/transformer/src/main.js'),
    { ...common, TRANSFORMER_METRICS_PORT: String(env.TRANSFORMER_METRICS_PORT) },
    root,
    TRANSFORMER_NODE_FLAGS,
  );
  // The console's token: every request needs it; a fresh one per run unless CONSOLE_TOKEN is set.
  const consoleToken = env.CONSOLE_TOKEN ?? randomBytes(18).toString('base64url');
  const opsConsole = startService(
    'console',
    join(root, 'dist/services/console/src/main.js'),
    {
      ...common,
      CONSOLE_HOST: '127.0.0.1',
      CONSOLE_PORT: String(env.CONSOLE_PORT),
      CONSOLE_TOKEN: consoleToken,
      CONSOLE_INGRESS_URL: `http://${host}:${env.INGRESS_PORT}`,
      CONSOLE_TRANSFORMER_URL: `http://127.0.0.1:${env.TRANSFORMER_METRICS_PORT}`,
    },
    root,
  );
  services.push(ingress, transformer, opsConsole);
  for (const s of services)
    void s.exited.then((how) => void stopAll(`${s.name} ended (${how})`, 1));
  await Promise.all([
    waitHttpOk(`http://${host}:${env.INGRESS_PORT}/readyz`, ingress, 120_000),
    waitHttpOk(`http://127.0.0.1:${env.TRANSFORMER_METRICS_PORT}/readyz`, transformer, 180_000),
  ]);

  const signingSecret = secrets.split(',')[0]!.trim();
  const body = JSON.stringify({
    event: 'contact.created',
    locationId: 'loc_demo',
    companyId: 'comp_demo',
    timestamp: new Date().toISOString(),
    data: {
      id: 'contact_demo_1',
      email: 'jane@example.com',
      phone: '+14155550100',
      firstName: 'Jane',
      lastName: 'Doe',
      tags: ['lead'],
    },
  });
  const signature = createHmac('sha256', signingSecret).update(body).digest('hex');
  const url = `http://${host}:${env.INGRESS_PORT}${path}`;
  say();
  say('================ the pipeline is running ================');
  say(`webhook URL:   POST ${url}`);
  say(
    `HMAC secret:   ${env.WEBHOOK_HMAC_SECRETS ? '(from WEBHOOK_HMAC_SECRETS)' : `${signingSecret}  (${newSecret ? 'generated now, ' : ''}kept in ${secretFile})`}`,
  );
  say(`Kafka:         ${brokers}    registry: ${registryUrl}`);
  say(
    `metrics:       http://${host}:${env.INGRESS_PORT}/metrics  http://127.0.0.1:${env.TRANSFORMER_METRICS_PORT}/metrics`,
  );
  say(
    `ops console:   http://127.0.0.1:${env.CONSOLE_PORT}/?token=${encodeURIComponent(consoleToken)}`,
  );
  say(
    `console token: ${env.CONSOLE_TOKEN ? '(from CONSOLE_TOKEN)' : `${consoleToken}  (generated now; CONSOLE_TOKEN sets one)`}`,
  );
  say();
  say('send a signed sample contact.created:');
  say(
    `  curl -sS -X POST '${url}' -H 'content-type: application/json' -H 'x-webhook-signature: sha256=${signature}' --data-binary '${body}'`,
  );
  say('watch it arrive as a NeuronX event (another terminal):');
  say(`  npx ghl-pipeline tail ${names.contact} --follow`);
  say('(sending the same body twice gives one event: the transformer dedups by event ID)');
  say('Ctrl-C stops everything npm start started.');
  say('=========================================================');
} catch (err) {
  process.stderr.write(`[start] ${(err as Error).message}\n`);
  await stopAll('start-up failed', 1);
}
