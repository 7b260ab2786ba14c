import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export type { Registry } from 'prom-client';

/** The metrics every service exposes, on a registry of its own (no global state). */
export interface ServiceMetrics {
  registry: Registry;
  httpDuration: Histogram<'method' | 'route' | 'status'>;
  handlerDuration: Histogram<'event' | 'outcome'>;
  knowledgeBaseCalls: Histogram<'operation' | 'outcome'>;
  limitRejections: Counter<'limit' | 'tier'>;
  /** Registers or returns a counter with a name of the service's own. */
  counter<L extends string>(name: string, help: string, labelNames: readonly L[]): Counter<L>;
  histogram<L extends string>(
    name: string,
    help: string,
    labelNames: readonly L[],
    buckets?: number[],
  ): Histogram<L>;
  gauge<L extends string>(name: string, help: string, labelNames: readonly L[]): Gauge<L>;
}

export function createMetrics(
  service: string,
  options: { defaults?: boolean } = {},
): ServiceMetrics {
  const registry = new Registry();
  registry.setDefaultLabels({ service });
  if (options.defaults !== false) collectDefaultMetrics({ register: registry });

  const counter = <L extends string>(name: string, help: string, labelNames: readonly L[]) =>
    (registry.getSingleMetric(name) as Counter<L> | undefined) ??
    new Counter<L>({ name, help, labelNames, registers: [registry] });
  const histogram = <L extends string>(
    name: string,
    help: string,
    labelNames: readonly L[],
    buckets?: number[],
  ) =>
    (registry.getSingleMetric(name) as Histogram<L> | undefined) ??
    new Histogram<L>({
      name,
      help,
      labelNames,
      registers: [registry],
      ...(buckets ? { buckets } : {}),
    });
  const gauge = <L extends string>(name: string, help: string, labelNames: readonly L[]) => {
    const existing = registry.getSingleMetric(name) as Gauge<L> | undefined;
    if (existing) return existing;
    return new Gauge<L>({ name, help, labelNames, registers: [registry] });
  };

  return {
    registry,
    httpDuration: histogram(
      'jitkb_http_request_duration_seconds',
      'HTTP request duration by route and status',
      ['method', 'route', 'status'],
    ),
    handlerDuration: histogram(
      'jitkb_queue_handler_duration_seconds',
      'Queue handler duration by event type and outcome',
      ['event', 'outcome'],
    ),
    knowledgeBaseCalls: histogram(
      'jitkb_knowledge_base_call_duration_seconds',
      'Knowledge base calls by operation and outcome',
      ['operation', 'outcome'],
    ),
    limitRejections: counter(
      'jitkb_limit_rejections_total',
      'Requests or jobs refused by a tier limit',
      ['limit', 'tier'],
    ),
    counter,
    histogram,
    gauge,
  };
}
