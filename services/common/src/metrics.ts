import { collectDefaultMetrics, Registry } from 'prom-client';

/** A Prometheus registry per service instance (tests build several in one process). */
export function createMetricsRegistry(service: string): Registry {
  const registry = new Registry();
  registry.setDefaultLabels({ service });
  collectDefaultMetrics({ register: registry });
  return registry;
}
