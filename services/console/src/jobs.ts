// Long work started from the page (a redrive, a replay) runs in the background as a job the page
// polls for progress. Jobs live in memory: the console is one process for one operator team.
import { randomUUID } from 'node:crypto';
import type { Progress } from '../../common/src/ops/progress.js';

/** A job as /api/jobs/:id shows it. */
export interface Job {
  id: string;
  kind: 'redrive' | 'replay';
  state: 'running' | 'done' | 'failed';
  /** Units done and expected (records); `total` 0 when not known. */
  done: number;
  total: number;
  startedAt: string;
  finishedAt: string | null;
  /** What the work returned (the CLI's --json summary). */
  result: unknown;
  error: string | null;
  /** Facts known at start, e.g. the replay id. */
  info: Record<string, unknown>;
}

/** The progress sink handed to a job's work: counts, plus what is learnt once the work starts. */
export interface JobProgress extends Progress {
  /** Sets the units expected (0: not known). */
  setTotal(total: number): void;
  /** Records a fact about the job under `key` in its `info`, e.g. the replay id. */
  setInfo(key: string, value: unknown): void;
}

export class Jobs {
  private readonly jobs = new Map<string, Job>();

  /**
   * Starts `work` at once with a progress sink for this job; returns the job (state `running`).
   * The work changes the job only through that sink. A rejection ends the job as `failed` with
   * its message.
   */
  start(kind: Job['kind'], total: number, work: (progress: JobProgress) => Promise<unknown>): Job {
    const job: Job = {
      id: randomUUID(),
      kind,
      state: 'running',
      done: 0,
      total,
      startedAt: new Date().toISOString(),
      finishedAt: null,
      result: null,
      error: null,
      info: {},
    };
    this.jobs.set(job.id, job);
    const progress: JobProgress = {
      tick: (n = 1) => void (job.done += n),
      set: (n) => void (job.done = n),
      done: () => undefined,
      setTotal: (n) => void (job.total = n),
      setInfo: (key, value) => void (job.info[key] = value),
    };
    work(progress).then(
      (result) => {
        job.result = result;
        job.state = 'done';
        job.finishedAt = new Date().toISOString();
      },
      (err: unknown) => {
        job.error = err instanceof Error ? err.message : String(err);
        job.state = 'failed';
        job.finishedAt = new Date().toISOString();
      },
    );
    return job;
  }

  /** The job with this id, while this process holds it (jobs live in memory). */
  get(id: string): Job | undefined {
    return this.jobs.get(id);
  }

  /** Resolves when no job is running (shutdown waits for it, up to `timeoutMs`). */
  async idle(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while ([...this.jobs.values()].some((j) => j.state === 'running') && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 100));
  }
}
