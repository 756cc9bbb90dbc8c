#!/usr/bin/env node
// `npm run start:ingress`: reads the environment once, listens, and shuts down cleanly on
// SIGTERM/SIGINT (stop accepting, answer what is in flight, flush the producer, exit 0); the
// process around it is services/common/src/service-runner.ts.
import { runService } from '../../common/src/service-runner.js';
import { buildIngress } from './app.js';
import { loadIngressConfig } from './config.js';
import { createKafkaSink } from './kafka-sink.js';
import { createIngressMetrics } from './metrics.js';

await runService({
  name: 'ingress',
  tracingName: 'ghl-ingress',
  loadConfig: loadIngressConfig,
  // Every pending webhook settles within PRODUCE_TIMEOUT_MS; past that something is stuck.
  stopTimeoutMs: (config) => config.PRODUCE_TIMEOUT_MS + 10_000,
  build(config, { logger, tracing }) {
    const metrics = createIngressMetrics();
    const producer = createKafkaSink(config, { logger, metrics });
    const app = buildIngress(config, { producer, logger, metrics, tracing });
    return {
      async start() {
        await app.listen({ host: config.INGRESS_HOST, port: config.INGRESS_PORT });
        // Not awaited: with Kafka down the ingress still starts, answers 429 and reconnects by itself.
        void producer.start();
      },
      close: () => app.close(),
    };
  },
});
