// What runs is what is built: the production build (tsconfig.build.json) and the image (Dockerfile)
// take the services and the stack code, never tests, benchmarks or development tools (tools/).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { projectRoot } from '../../../services/common/src/project-root.js';

const read = (file: string) => readFileSync(join(projectRoot(), file), 'utf8');

describe('build scope', () => {
  it('tsconfig.build.json includes no test or tool', () => {
    const { include } = JSON.parse(read('tsconfig.build.json')) as { include: string[] };
    expect(include.length).toBeGreaterThan(0);
    for (const path of include) expect(path).not.toMatch(/^(test|tools)(\/|$)/);
  });

  it('the Dockerfile copies no test or tool', () => {
    const copies = read('Dockerfile')
      .split('\n')
      .filter((line) => /^COPY\s/.test(line) && !line.includes('--from='));
    expect(copies.length).toBeGreaterThan(0);
    for (const line of copies) expect(line).not.toMatch(/\s(\.\/)?(test|tools)(\/|\s|$)/);
  });

  it('the benchmarks build their passthrough baseline themselves', () => {
    const bench = JSON.parse(read('tsconfig.bench.json')) as { include: string[] };
    expect(bench.include).toEqual(['test/bench/passthrough.ts']);
    // bench:transformer runs both as built JavaScript from dist/ and compiles both projects first.
    expect(read('test/bench/transformer.bench.ts')).toMatch(
      /for \(const project of \['tsconfig\.build\.json', 'tsconfig\.bench\.json'\]\)/,
    );
  });
});
