// `npm run start:transformer`: reads the environment, starts the transformer, and turns
// SIGTERM/SIGINT into a clean stop (the transaction in progress finishes, the consumer leaves the
// group, producers close, exit 0); the process around it is services/common/src/service-runner.ts.
import { runService } from '../../common/src/service-runner.js';
import { createTransformer } from './app.js';
import { loadTransformerConfig } from './config.js';

await runService({
  name: 'transformer',
  tracingName: 'neuronx-transformer',
  loadConfig: loadTransformerConfig,
  stopTimeoutMs: () => 30_000,
  build: (config, deps) => createTransformer(config, deps),
});
