// The README's configuration section is for newcomers; this keeps it from drifting from the
// schemas the services actually read.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  kafkaConfigSchema,
  topicSizingSchema,
} from '../../../services/common/src/kafka/kafka-config.js';
import { projectRoot } from '../../../services/common/src/project-root.js';
import { TRACING_ENV_VARS } from '../../../services/common/src/tracing.js';
import { consoleConfigSchema } from '../../../services/console/src/config.js';
import { ingressConfigSchema } from '../../../services/ingress/src/config.js';
import { transformerConfigSchema } from '../../../services/transformer/src/config.js';

const readme = readFileSync(join(projectRoot(), 'README.md'), 'utf8');
const envExample = readFileSync(join(projectRoot(), '.env.example'), 'utf8');

describe('README configuration', () => {
  const names = [
    ...Object.keys({
      ...kafkaConfigSchema,
      ...topicSizingSchema,
      ...ingressConfigSchema,
      ...transformerConfigSchema,
      ...consoleConfigSchema,
    }),
    // Read by the OpenTelemetry SDK, not by a config schema.
    ...TRACING_ENV_VARS,
  ];

  it.each(names)('documents %s', (name) => {
    expect(readme).toContain(`\`${name}\``);
  });

  it.each(names)('.env.example lists %s', (name) => {
    expect(envExample).toMatch(new RegExp(`^#?\\s*${name}=`, 'm'));
  });
});
