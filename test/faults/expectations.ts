// Assertions and failure evidence every fault scenario shares, single broker and cluster alike.
import { appendFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';
import { reportDir } from './fault-env.js';
import { sample } from './report.js';
import type { ScenarioOutcome } from './scenario-runner.js';

/** Counted, nothing lost or repeated, no 5xx. */
export function expectExactlyOnce(o: ScenarioOutcome): void {
  const why = evidence(o);
  expect(o.error?.message, `scenario could not be counted${why}`).toBeUndefined();
  const row = o.row;
  if (!row) return;
  expect.soft(row.ok, 'no webhook was accepted at all').toBeGreaterThan(0);
  expect.soft(row.lost.length, `lost: ${sample(row.lost)}${why}`).toBe(0);
  expect
    .soft(row.ackedNotInRaw.length, `200 but not in ghl.raw: ${sample(row.ackedNotInRaw)}`)
    .toBe(0);
  expect.soft(row.missing.length, `missing: ${sample(row.missing)}${why}`).toBe(0);
  expect.soft(row.duplicated.length, `duplicated: ${sample(row.duplicated)}${why}`).toBe(0);
  expect.soft(row.unexpected.length, `unexpected: ${sample(row.unexpected)}`).toBe(0);
  expect.soft(row.serverErrors, `5xx answers${why}`).toBe(0);
}

/** Service log digests appended to failure messages (and to evidence.txt). */
export function evidence(o: ScenarioOutcome): string {
  const text = Object.entries(o.evidence)
    .map(
      ([s, lines]) =>
        `  ${s}:\n${lines.map((l) => `    ${l}`).join('\n') || '    (nothing at warn+)'}`,
    )
    .join('\n');
  return `\nservice logs (warn+):\n${text}`;
}

/** Keeps the row and its evidence in evidence.txt and prints the evidence. */
export function record(o: ScenarioOutcome): void {
  const digest = evidence(o);
  appendFileSync(join(reportDir(), 'evidence.txt'), `${o.text}\n${digest}\n\n`);
  console.log(digest);
}
