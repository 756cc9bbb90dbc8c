// A schema registry outage mid-stream: the running transformer keeps going on its cached schema
// IDs (no registry call per message), an instance started during the outage waits for the
// registry instead of failing, nothing goes to the DLQ, and everything arrives exactly once
// (counted by the Java exactly-once verifier, infra/verifier, not by kafkajs).
import { randomUUID } from 'node:crypto';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Message } from 'kafkajs';
import { OUTPUT_HEADERS } from '../../../services/common/src/record-headers.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../../infra/local-stack/free-port.js';
import { stackRoot } from '../../../infra/local-stack/paths.js';
import { startRegistry, stopRegistry } from '../../../infra/local-stack/registry-server.js';
import type { Transformer } from '../../../services/transformer/src/app.js';
import { MAPPED_FIXTURES } from '../../fixtures/index.js';
import { freshTopics, sleep, testKafka, type FreshTopics } from '../../helpers/integration.js';
import { feed, rawMessage } from '../../helpers/raw-events.js';
import {
  countPipelineOutputs,
  describeCheck,
  processedCount,
  readPipelineOutputs,
  startTransformer,
  waitForCommittedEnd,
} from '../../helpers/transformer-harness.js';

const TOTAL = 6000;
const OUTAGE_MS = 10_000;

describe('transformer during a schema registry outage', () => {
  const kafka = testKafka('outage-test');
  const dir = join(stackRoot(), `registry-outage-${randomUUID().slice(0, 8)}`);
  let ports: { port: number; managementPort: number };
  let registryUrl: string;
  let fresh: FreshTopics;
  const running: Transformer[] = [];

  beforeAll(async () => {
    ports = { port: await freePort(), managementPort: await freePort() };
    // Persistent (H2 file), like a production registry: a restart keeps the schema IDs.
    registryUrl = (await startRegistry({ dir, ...ports, persistent: true })).url;
    fresh = await freshTopics({ partitions: 3, label: 'outage' });
  });
  afterAll(async () => {
    await Promise.all(running.map((t) => t.close()));
    await fresh?.cleanup();
    await stopRegistry(dir);
    rmSync(dir, { recursive: true, force: true });
  });

  it('delivers everything once, with no DLQ record, across a 10 s registry outage', async () => {
    const ids: string[] = [];
    const messages: Message[] = [];
    for (let i = 0; i < TOTAL; i++) {
      const eventId = `evt-${i}-${randomUUID()}`;
      ids.push(eventId);
      messages.push(rawMessage(MAPPED_FIXTURES[i % MAPPED_FIXTURES.length]!.bytes, { eventId }));
    }
    const producer = kafka.producer({ idempotent: true });
    await producer.connect();
    const feeding = feed(producer, fresh.names.raw, messages, { slice: 300, pauseMs: 500 });

    const first = await startTransformer(fresh, { SCHEMA_REGISTRY_URL: registryUrl });
    running.push(first);
    while ((await processedCount(first)) === 0) await sleep(100);

    await stopRegistry(dir);
    const atOutage = await processedCount(first);
    // A second instance starts while the registry is down: it must wait, not die.
    const second = startTransformer(fresh, { SCHEMA_REGISTRY_URL: registryUrl });
    await sleep(OUTAGE_MS);
    const duringOutage = (await processedCount(first)) - atOutage;
    await startRegistry({ dir, ...ports, persistent: true });
    running.push(await second);
    await feeding;
    await producer.disconnect();

    await waitForCommittedEnd(fresh.admin, fresh.group, fresh.names.raw, 120_000);
    const counted = await countPipelineOutputs(fresh.names, ids);
    expect(counted.report.hanging).toEqual([]);
    expect(counted.dlq).toBe(0);
    expect(counted.check, describeCheck(counted.check)).toEqual({
      missing: [],
      duplicated: {},
      unexpected: [],
    });
    expect(counted.outputs).toBe(ids.length);

    // What was written during the outage decodes through the (restarted) registry.
    const { outputs, dlq } = await readPipelineOutputs(kafka, fresh.names, {
      expected: ids.length,
      timeoutMs: 120_000,
      settleMs: 1000,
      registryUrl,
    });
    expect(dlq).toHaveLength(0);
    const known = new Set(ids);
    const wrong = outputs.filter(
      (o) =>
        o.decoded.eventId !== o.headers[OUTPUT_HEADERS.id] || !known.has(String(o.decoded.eventId)),
    );
    expect(wrong.map((o) => `${o.topic}/${o.partition}/${o.offset}`)).toEqual([]);
    // The running instance kept processing while the registry was down.
    expect(duringOutage).toBeGreaterThan(0);
  });
});
