import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { APICURIO_VERSION, KAFKA_VERSION } from '../../../infra/local-stack/versions.js';

const read = (path: string) => readFileSync(new URL(`../../../${path}`, import.meta.url), 'utf8');

describe('pinned stack versions', () => {
  it('are the same in versions.ts, the Maven pom and docker-compose.yml', () => {
    expect(read('infra/kafka/pom.xml')).toContain(
      `<kafka.version>${KAFKA_VERSION}</kafka.version>`,
    );
    const compose = read('docker-compose.yml');
    expect(compose).toContain(`image: apache/kafka:${KAFKA_VERSION}`);
    expect(compose).toContain(`image: apicurio/apicurio-registry:${APICURIO_VERSION}`);
  });
});
