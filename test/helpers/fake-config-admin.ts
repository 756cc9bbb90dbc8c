// A stand-in for the admin client's DescribeConfigs, for unit tests of what reads topic configs
// (TopicLimits): each call answers the next of `answers` (max.message.bytes of every topic asked
// about, or an error) only when the test releases it, so a test can hold a reading in flight.
import type { Admin } from 'kafkajs';

export interface FakeConfigAdmin {
  admin: Admin;
  /** The DescribeConfigs calls so far, in order; `release` answers one. */
  calls: { release: () => void }[];
}

export function fakeConfigAdmin(answers: (string | Error)[]): FakeConfigAdmin {
  const calls: FakeConfigAdmin['calls'] = [];
  const describeConfigs = (req: { resources: { name: string }[] }) => {
    const answer = answers.shift() ?? new Error('no answer left');
    return new Promise((resolve, reject) => {
      calls.push({
        release: () =>
          answer instanceof Error
            ? reject(answer)
            : resolve({
                resources: req.resources.map(({ name }) => ({
                  resourceName: name,
                  configEntries: [
                    { configName: 'max.message.bytes', configValue: answer, isDefault: false },
                  ],
                })),
              }),
      });
    });
  };
  return { admin: { describeConfigs } as unknown as Admin, calls };
}
