// Background jobs of the console: the work reports through the progress sink it is handed (counts,
// the total once known, facts such as the replay id); the job shows them and how the work ended.
import { describe, expect, it } from 'vitest';
import { Jobs } from '../../../services/console/src/jobs.js';

describe('console jobs', () => {
  it('show what the work reports through its progress sink, then its result', async () => {
    const jobs = new Jobs();
    let finish!: () => void;
    const gate = new Promise<void>((resolve) => (finish = resolve));
    const job = jobs.start('replay', 0, async (progress) => {
      progress.setInfo('replayId', 'r-1');
      progress.setTotal(5);
      progress.tick(2);
      await gate;
      progress.set(5);
      return { republished: 5 };
    });
    expect(jobs.get(job.id)).toMatchObject({
      kind: 'replay',
      state: 'running',
      done: 2,
      total: 5,
      info: { replayId: 'r-1' },
    });
    finish();
    await jobs.idle(5000);
    expect(jobs.get(job.id)).toMatchObject({ state: 'done', done: 5, result: { republished: 5 } });
  });

  it('end as failed with the message of a rejection', async () => {
    const jobs = new Jobs();
    const job = jobs.start('redrive', 3, () => Promise.reject(new Error('broker gone')));
    await jobs.idle(5000);
    expect(jobs.get(job.id)).toMatchObject({ state: 'failed', error: 'broker gone', total: 3 });
  });
});
