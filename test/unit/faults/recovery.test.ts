// The fault suite's recovery figures: time from "the broker is back" to the first commit anywhere,
// and to the moment every ghl.raw partition has committed again (a partition stuck behind a slow
// takeover is not a recovered pipeline, whatever the others do).
import { describe, expect, it } from 'vitest';
import { everyPartitionRecovered, recoverySeconds } from '../../faults/scenario-runner.js';

const series = (...points: [at: number, value: number][]) =>
  points.map(([at, value]) => ({ at, value }));

describe('recovery figures', () => {
  const backAt = 10_000;

  it('first commit: the earliest increase of the instances summed after backAt', () => {
    const perInstance = new Map([
      ['t1', series([9_000, 5], [11_000, 5], [12_500, 9])],
      ['t2', series([9_500, 3], [13_000, 4])],
    ]);
    expect(recoverySeconds(perInstance, backAt)).toBe(2.5);
  });

  it('every partition: the last partition to commit again decides, named as the slowest', () => {
    const perPartition = new Map([
      ['t1\u00000', series([9_000, 10], [10_400, 12])],
      ['t1\u00001', series([9_000, 10], [16_000, 10], [17_200, 11])],
      ['t1\u00002', series([9_000, 10], [11_000, 15])],
    ]);
    expect(everyPartitionRecovered(perPartition, backAt)).toEqual({ seconds: 7.2, slowest: '1' });
  });

  it('counts a partition that moved to another instance where it committed', () => {
    const perPartition = new Map([
      ['t1\u00000', series([9_000, 10], [12_000, 10])],
      ['t2\u00000', series([13_000, 4])],
    ]);
    expect(everyPartitionRecovered(perPartition, backAt)).toEqual({ seconds: 3, slowest: '0' });
  });

  it('is null, naming the partition, when one never committed again', () => {
    const perPartition = new Map([
      ['t1\u00000', series([9_000, 10], [10_500, 11])],
      ['t1\u00001', series([9_000, 10], [20_000, 10])],
    ]);
    expect(everyPartitionRecovered(perPartition, backAt)).toEqual({ seconds: null, slowest: '1' });
  });
});
