import { describe, expect, it } from 'vitest';
import { clusterId } from '../../../infra/local-stack/kafka-server.js';

describe('KRaft cluster id', () => {
  // Regression: an id starting with "-" made `kafka-storage format -t <id>` fail to parse.
  it('is 22 base64url characters and never starts with "-"', () => {
    for (let i = 0; i < 5000; i++) {
      const id = clusterId();
      expect(id).toMatch(/^[A-Za-z0-9_][A-Za-z0-9_-]{21}$/);
    }
  });
});
