import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { LTS_NODE_VERSION } from '../../../infra/runtime/lts-node.js';
import { projectRoot } from '../../../services/common/src/project-root.js';

// The image must run the Node.js version the suites are run on, and package.json must admit it.
describe('the supported runtime', () => {
  it('is one version in the Dockerfile, the test runner and engines', () => {
    const dockerfile = readFileSync(join(projectRoot(), 'Dockerfile'), 'utf8');
    const images = [...dockerfile.matchAll(/^FROM node:(\S+?)-slim/gm)].map((m) => m[1]);
    expect(images.length).toBeGreaterThan(0);
    for (const image of images) expect(image).toBe(LTS_NODE_VERSION);
    const pkg = JSON.parse(readFileSync(join(projectRoot(), 'package.json'), 'utf8')) as {
      engines: { node: string };
    };
    expect(pkg.engines.node).toContain(`>=${LTS_NODE_VERSION.split('.')[0]}`);
    expect(Number(LTS_NODE_VERSION.split('.')[0]) % 2).toBe(0); // even majors are the LTS lines
  });
});
