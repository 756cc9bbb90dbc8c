import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ConfigError } from '../../../services/common/src/config.js';
import {
  runService,
  type RunnableService,
  type RunnerDeps,
  type ServiceDefinition,
  type ServiceProcess,
} from '../../../services/common/src/service-runner.js';
import { TRACING_OFF, type Tracing } from '../../../services/common/src/tracing.js';

interface Config {
  readonly LOG_LEVEL: string;
  readonly STOP_MS: number;
}

/** A process that records what the runner asks of it instead of exiting. */
class FakeProcess implements ServiceProcess {
  readonly env: NodeJS.ProcessEnv;
  readonly exits: number[] = [];
  stderrText = '';
  readonly stderr = { write: (text: string) => (this.stderrText += text) };
  private readonly listeners = new Map<string, Array<() => void>>();
  constructor(env: NodeJS.ProcessEnv = {}) {
    this.env = env;
  }
  on(signal: string, listener: () => void): this {
    this.listeners.set(signal, [...(this.listeners.get(signal) ?? []), listener]);
    return this;
  }
  exit(code: number): void {
    this.exits.push(code);
  }
  signal(name: 'SIGTERM' | 'SIGINT'): void {
    for (const listener of this.listeners.get(name) ?? []) listener();
  }
}

/** A logger like the services' (createLogger's options) that writes its lines into `lines`. */
function capturingLogger(lines: Array<Record<string, unknown>>) {
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split('\n'))
        if (line) lines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  return (service: string, level: string) => pino({ level, base: { service } }, sink);
}

function setup(
  service: Partial<RunnableService> = {},
  opts: { env?: NodeJS.ProcessEnv; loadConfig?: () => Config; tracing?: Tracing } = {},
) {
  const proc = new FakeProcess(opts.env ?? { STOP_MS: '1000' });
  const lines: Array<Record<string, unknown>> = [];
  const calls: string[] = [];
  let guardStop: ((reason: string, exitCode: number) => Promise<void>) | undefined;
  const tracing: Tracing = opts.tracing ?? {
    ...TRACING_OFF,
    shutdown: async () => void calls.push('tracing.shutdown'),
  };
  const definition: ServiceDefinition<Config> = {
    name: 'svc',
    tracingName: 'svc-tracing',
    loadConfig:
      opts.loadConfig ?? ((env) => ({ LOG_LEVEL: 'info', STOP_MS: Number(env.STOP_MS ?? 1000) })),
    stopTimeoutMs: (config) => config.STOP_MS,
    build: (config, deps) => {
      calls.push(`build ${config.STOP_MS} ${deps.tracing === tracing}`);
      return {
        start: service.start ?? (async () => void calls.push('start')),
        close: service.close ?? (async () => void calls.push('close')),
      };
    },
  };
  const deps: RunnerDeps = {
    process: proc,
    createLogger: capturingLogger(lines),
    startTracing: async (name) => {
      calls.push(`tracing ${name}`);
      return tracing;
    },
    guardUnexpectedErrors: (_logger, stop) => (guardStop = stop),
  };
  return {
    proc,
    lines,
    calls,
    run: () => runService(definition, deps),
    unexpectedError: () => guardStop!('uncaughtException', 1),
    messages: () => lines.map((l) => l.msg),
  };
}

afterEach(() => {
  vi.useRealTimers();
});

describe('runService', () => {
  it('loads the config, starts tracing, builds and starts the service, and stays running', async () => {
    const t = setup();
    const running = await t.run();
    expect(running?.config).toEqual({ LOG_LEVEL: 'info', STOP_MS: 1000 });
    expect(t.calls).toEqual(['tracing svc-tracing', 'build 1000 true', 'start']);
    expect(t.proc.exits).toEqual([]);
  });

  it('a bad configuration: prints every problem to stderr and exits with its code (2), builds nothing', async () => {
    const t = setup(
      {},
      {
        loadConfig: () => {
          throw new ConfigError(['A must be an integer', 'B is required']);
        },
      },
    );
    expect(await t.run()).toBeUndefined();
    expect(t.proc.exits).toEqual([2]);
    expect(t.proc.stderrText).toContain('A must be an integer');
    expect(t.proc.stderrText).toContain('B is required');
    expect(t.calls).toEqual([]);
  });

  it('an error other than ConfigError while loading the config is not swallowed', async () => {
    const boom = setup(
      {},
      {
        loadConfig: () => {
          throw new TypeError('bug');
        },
      },
    );
    await expect(boom.run()).rejects.toThrow('bug');
    expect(boom.proc.exits).toEqual([]);
  });

  it.each(['SIGTERM', 'SIGINT'] as const)(
    '%s: closes the service, then tracing, and exits 0, once',
    async (signal) => {
      const t = setup();
      await t.run();
      t.proc.signal(signal);
      t.proc.signal(signal);
      await vi.waitFor(() => expect(t.proc.exits).toEqual([0]));
      expect(t.calls.slice(3)).toEqual(['close', 'tracing.shutdown']);
      expect(t.messages()).toEqual(['shutting down', 'shut down cleanly']);
      expect(t.lines[0]).toMatchObject({ service: 'svc', signal });
    },
  );

  it('an unexpected error takes the same clean stop with exit code 1', async () => {
    const t = setup();
    await t.run();
    await t.unexpectedError();
    expect(t.proc.exits).toEqual([1]);
    expect(t.calls.slice(3)).toEqual(['close', 'tracing.shutdown']);
  });

  it('a close that fails exits 1', async () => {
    const t = setup({ close: () => Promise.reject(new Error('stuck broker')) });
    await t.run();
    t.proc.signal('SIGTERM');
    await vi.waitFor(() => expect(t.proc.exits).toEqual([1]));
    expect(t.messages()).toContain('shutdown failed');
  });

  it('a close that hangs: exits 1 after stopTimeoutMs', async () => {
    vi.useFakeTimers();
    const t = setup(
      { close: () => new Promise<void>(() => undefined) },
      { env: { STOP_MS: '5000' } },
    );
    await t.run();
    t.proc.signal('SIGTERM');
    await vi.advanceTimersByTimeAsync(4999);
    expect(t.proc.exits).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(t.proc.exits).toEqual([1]);
    expect(t.messages()).toContain('shutdown did not finish in time; exiting');
  });

  it('a tracing shutdown that fails does not fail the stop', async () => {
    const t = setup(
      {},
      { tracing: { ...TRACING_OFF, shutdown: () => Promise.reject(new Error('collector down')) } },
    );
    await t.run();
    t.proc.signal('SIGTERM');
    await vi.waitFor(() => expect(t.proc.exits).toEqual([0]));
    expect(t.messages()).toEqual(['shutting down', 'tracing shutdown', 'shut down cleanly']);
  });

  it('a start that fails: logs it at fatal level, closes what was built, exits 1', async () => {
    const t = setup({ start: () => Promise.reject(new Error('EADDRINUSE')) });
    expect(await t.run()).toBeUndefined();
    expect(t.proc.exits).toEqual([1]);
    expect(t.calls.slice(2)).toEqual(['close', 'tracing.shutdown']);
    expect(t.lines[0]).toMatchObject({ level: 60, msg: 'svc failed to start' });
  });
});
