/**
 * Prometheus metrics (GET /metrics). Values about the simulation are read
 * when scraped, so a deleted domain's series are simply not there next time;
 * HTTP requests are counted as they finish. One registry per app, so several
 * apps (tests) never share counters. Names follow Prometheus rules: the
 * `nemesis_` prefix, base units (seconds; ratios where 1 = one whole pCPU),
 * `_total` on counters.
 */
import { createRequire } from 'node:module';
import type { FastifyInstance, onResponseHookHandler } from 'fastify';
import { collectDefaultMetrics, Counter, Gauge, Registry, type Metric } from 'prom-client';
import { POWER_STATES, type Control } from '../control/index.ts';
import type { EventLoopDelaySummary, EventLoopMonitor } from '../runtime/event-loop-delay.ts';
import { BucketCounts, type HistogramSnapshot } from '../runtime/histogram.ts';
import { NS_PER_S } from '../vocabulary/units.ts';

const MS_PER_S = 1e3;
const PCT_PER_RATIO = 100;
/** The fairness gauges' window of simulated time. */
const SHARE_WINDOW_MS = 10_000;
const HTTP_DURATION_BOUNDS_S = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];
const SCHED_COUNTERS = {
  context_switches: 'Context switches (a pCPU switched to another vCPU or to idle).',
  accounting_periods: 'Credit accounting periods run.',
  boost_wakes: 'Wakes that got BOOST priority.',
  parks: 'vCPUs parked by their cap.',
  unparks: 'vCPUs unparked when their credit recovered.',
  steals: 'vCPUs stolen from another pCPU\'s run queue.',
  migrations: 'Running vCPUs moved to an idle pCPU at a tick.',
} as const;

type Labels = Record<string, string>;

/** The process's own metrics (prom-client's defaults) carry this prefix. */
const PROCESS_PREFIX = 'nemesisd_';
/** prom-client's default metric that keeps an event-loop monitor of its own (every 10 ms); its gauges are read from the daemon's one instead. */
const OWN_MONITOR_METRIC = 'eventLoopLag';
const requirePromClient = createRequire(import.meta.url);
type DefaultMetric = (registry: Registry, config: { prefix: string }) => void;

/**
 * prom-client's default metrics, each from its own module (the names in
 * `collectDefaultMetrics.metricsList`, which has no option to leave one
 * out), but the event-loop lag, whose gauges keep their names and help.
 */
function processMetrics(registry: Registry, eventLoop: EventLoopMonitor): void {
  for (const name of collectDefaultMetrics.metricsList) {
    if (name !== OWN_MONITOR_METRIC) (requirePromClient(`prom-client/lib/metrics/${name}`) as DefaultMetric)(registry, { prefix: PROCESS_PREFIX });
  }
  let latest: EventLoopDelaySummary | undefined;
  const lag = (name: string, help: string, read: (summary: EventLoopDelaySummary) => number, collect?: () => void): void => {
    new Gauge({
      name: `${PROCESS_PREFIX}nodejs_eventloop_${name}`,
      help,
      registers: [registry],
      collect() {
        collect?.();
        if (latest !== undefined) this.set(read(latest) / MS_PER_S);
      },
    });
  };
  // As prom-client does: the time to the next turn of the loop, measured at a scrape and shown at the next.
  const turn = new Gauge({ name: `${PROCESS_PREFIX}nodejs_eventloop_lag_seconds`, help: 'Lag of event loop in seconds.', registers: [registry] });
  lag('lag_min_seconds', 'The minimum recorded event loop delay.', (s) => s.min_ms, () => {
    // The first of them collected (collects run in registration order) takes the distribution since the last scrape.
    latest = eventLoop.takeSummary();
    const start_ms = performance.now();
    setImmediate(() => turn.set((performance.now() - start_ms) / MS_PER_S));
  });
  lag('lag_max_seconds', 'The maximum recorded event loop delay.', (s) => s.max_ms);
  lag('lag_mean_seconds', 'The mean of the recorded event loop delays.', (s) => s.mean_ms);
  lag('lag_stddev_seconds', 'The standard deviation of the recorded event loop delays.', (s) => s.stddev_ms);
  lag('lag_p50_seconds', 'The 50th percentile of the recorded event loop delays.', (s) => s.p50_ms);
  lag('lag_p90_seconds', 'The 90th percentile of the recorded event loop delays.', (s) => s.p90_ms);
  lag('lag_p99_seconds', 'The 99th percentile of the recorded event loop delays.', (s) => s.p99_ms);
}

/** Counters and gauges with labels, refilled from `read` at every scrape. */
function labelled(registry: Registry, kind: typeof Counter | typeof Gauge, name: string, help: string, labelNames: string[], read: () => Iterable<[Labels, number]>): void {
  new kind({
    name,
    help,
    labelNames,
    registers: [registry],
    collect() {
      this.reset();
      for (const [labels, value] of read()) {
        if (this instanceof Gauge) this.set(labels, value);
        else (this as Counter).inc(labels, value);
      }
    },
  });
}

/** A histogram whose buckets are counted elsewhere (BucketCounts), exposed as Prometheus expects. */
function histogram(registry: Registry, name: string, help: string, read: () => Iterable<[Labels, HistogramSnapshot]>): void {
  const get = () => ({
    name,
    help,
    type: 'histogram',
    aggregator: 'sum',
    values: [...read()].flatMap(([labels, h]) => [
      ...h.bounds.map((le, i) => ({ labels: { ...labels, le }, value: h.counts[i]!, metricName: `${name}_bucket` })),
      { labels: { ...labels, le: '+Inf' }, value: h.count, metricName: `${name}_bucket` },
      { labels, value: h.sum, metricName: `${name}_sum` },
      { labels, value: h.count, metricName: `${name}_count` },
    ]),
  });
  registry.registerMetric({ name, help, get, reset: () => undefined } as unknown as Metric);
}

export function createMetrics(control: Control, eventLoop: EventLoopMonitor): Registry {
  const registry = new Registry();
  processMetrics(registry, eventLoop);
  const clock = () => control.host.info().clock;
  const counter = (name: string, help: string, read: () => number): void => labelled(registry, Counter, name, help, [], () => [[{}, read()]]);
  const gauge = (name: string, help: string, read: () => number): void => labelled(registry, Gauge, name, help, [], () => [[{}, read()]]);

  labelled(registry, Gauge, 'nemesis_domains', 'Domains by power state.', ['state'], () => {
    const counts = new Map<string, number>(POWER_STATES.map((s) => [s, 0]));
    for (const domain of control.state.domains.values()) counts.set(domain.state, (counts.get(domain.state) ?? 0) + 1);
    return [...counts].map(([state, count]) => [{ state }, count]);
  });
  domainMetrics(registry, control);
  labelled(registry, Counter, 'nemesis_pcpu_busy_seconds_total', 'Simulated time a guest vCPU ran on each pCPU, seconds.', ['pcpu'], () =>
    control.host.listPcpus().map((p) => [{ pcpu: String(p.id) }, p.busy_ns / NS_PER_S]));
  labelled(registry, Counter, 'nemesis_pcpu_idle_seconds_total', 'Simulated time each pCPU idled, seconds.', ['pcpu'], () =>
    control.host.listPcpus().map((p) => [{ pcpu: String(p.id) }, p.idle_ns / NS_PER_S]));
  for (const [key, help] of Object.entries(SCHED_COUNTERS)) {
    counter(`nemesis_sched_${key}_total`, `Credit scheduler: ${help}`, () => control.usage.schedStats()[key as keyof typeof SCHED_COUNTERS]);
  }
  gauge('nemesis_sim_time_seconds', 'Simulated time since the host booted, seconds.', () => clock().now_ns / NS_PER_S);
  gauge('nemesis_clock_speed', 'Simulated seconds per real second (0 = frozen).', () => clock().speed);
  gauge('nemesis_tick_lag_seconds', 'How late the last tick of the real-time loop fired, seconds.', () => clock().loop.last_late_ms / MS_PER_S);
  gauge('nemesis_tick_max_lag_seconds', 'The latest any tick of the real-time loop fired, seconds.', () => clock().loop.max_late_ms / MS_PER_S);
  histogram(registry, 'nemesis_tick_lateness_seconds', 'How late each tick of the real-time loop fired, seconds.', () => [[{}, control.usage.tickLateness()]]);
  counter('nemesis_tick_skipped_seconds_total', 'Simulated time given up after stalls, seconds.', () => clock().skipped_ns / NS_PER_S);
  counter('nemesis_ticks_total', 'Ticks of the real-time loop.', () => clock().loop.ticks);
  gauge('nemesis_event_subscribers', 'Open /api/v1/events streams.', () => control.events.listenerCount);
  gauge('nemesis_store_busy', '1 while another process holds the database lock (changes answer 503 STORE_BUSY).', () => Number(control.store.health().busy));
  counter('nemesis_store_busy_errors_total', 'Changes refused because another process held the database lock.', () => control.store.health().busy_errors_total);
  gauge('nemesis_store_degraded', '1 while changes cannot be stored (the database locked, its disk full, or an I/O error), as the last write found.', () => Number(control.store.health().fault !== undefined));
  labelled(registry, Counter, 'nemesis_store_write_errors_total', 'Changes refused at the store, by reason (busy, full, io).', ['reason'], () =>
    Object.entries(control.store.health().errors_total).map(([reason, count]) => [{ reason }, count]));
  return registry;
}

/** Per domain: CPU seconds, vCPU seconds by runstate, and observed and expected shares (the fairness report). */
function domainMetrics(registry: Registry, control: Control): void {
  labelled(registry, Counter, 'nemesis_domain_cpu_seconds_total', 'Simulated CPU time consumed by each domain since it last started, seconds.', ['domid', 'name'], () =>
    control.domains.list().map((d) => [{ domid: String(d.id), name: d.name }, d.cpu_time_ns / NS_PER_S]));
  labelled(registry, Counter, 'nemesis_domain_vcpu_seconds_total', "Simulated time a domain's vCPUs spent in each runstate since it last started, seconds.", ['domid', 'name', 'state'], function* () {
    for (const d of control.domains.list()) {
      if (d.state === 'halted') continue;
      const totals = { running: 0, runnable: 0, blocked: 0, offline: 0 };
      for (const vcpu of control.domains.listVcpus(String(d.id))) for (const state of Object.keys(totals) as (keyof typeof totals)[]) totals[state] += vcpu.runstate_ns[state];
      for (const [state, ns] of Object.entries(totals)) yield [{ domid: String(d.id), name: d.name, state }, ns / NS_PER_S];
    }
  });
  // The four fairness gauges read one report per scrape: the first one collected (collects run in registration order) makes it.
  let latest: ReturnType<typeof control.usage.host> | undefined;
  const report = (fresh: boolean) => (fresh || latest === undefined ? (latest = control.usage.host(SHARE_WINDOW_MS)) : latest);
  const share = (which: 'observed' | 'expected', help: string): void => {
    const key = `${which}_pct` as const;
    labelled(registry, Gauge, `nemesis_domain_cpu_${which}_ratio`, `${help} (1 = one whole pCPU), per domain.`, ['domid', 'name'], () =>
      report(which === 'observed').domains.map((d) => [{ domid: String(d.id), name: d.name }, d[key] / PCT_PER_RATIO]));
    labelled(registry, Gauge, `nemesis_scheduling_domain_cpu_${which}_ratio`, `${help} (1 = one whole pCPU), per scheduling domain.`, ['master'], () =>
      report(false).scheduling_domains.map((g) => [{ master: String(g.master) }, g[key] / PCT_PER_RATIO]));
  };
  share('observed', `CPU used over the last ${SHARE_WINDOW_MS / MS_PER_S} s of simulated time`);
  share('expected', 'CPU share that weights, caps, shares, affinity and demand give in the steady state');
}

/**
 * Counting is a Map lookup and an array increment in a callback hook (no
 * promise, no label lookup per request); the metrics are filled from it when
 * scraped. Each route gets its own hook, made when the route is added,
 * because reading `request.routeOptions` builds a new object on every request.
 */
export function countRequests(app: FastifyInstance, registry: Registry): void {
  const durations = new Map<string, BucketCounts>();
  const bucketsOf = (key: string): BucketCounts => {
    let buckets = durations.get(key);
    if (buckets === undefined) durations.set(key, (buckets = new BucketCounts(HTTP_DURATION_BOUNDS_S)));
    return buckets;
  };
  const observe = (key: string, elapsed_ms: number): void => bucketsOf(key).observe(elapsed_ms / MS_PER_S);
  app.addHook('onRoute', (route) => {
    // The route's own buckets by method and status: a request looks them up by number, with no key to build.
    const byMethod = new Map<string, Map<number, BucketCounts>>();
    const hook: onResponseHookHandler = (request, reply, done) => {
      let byStatus = byMethod.get(request.method);
      if (byStatus === undefined) byMethod.set(request.method, (byStatus = new Map()));
      let buckets = byStatus.get(reply.statusCode);
      if (buckets === undefined) byStatus.set(reply.statusCode, (buckets = bucketsOf(`${request.method} ${route.url} ${reply.statusCode}`)));
      buckets.observe(reply.elapsedTime / MS_PER_S);
      done();
    };
    route.onResponse = [...[route.onResponse ?? []].flat(), hook];
  });
  app.addHook('onResponse', (request, reply, done) => {
    if (request.is404) observe(`${request.method} unmatched ${reply.statusCode}`, reply.elapsedTime);
    done();
  });
  function* byLabels(): Generator<[Labels, HistogramSnapshot]> {
    for (const [key, buckets] of durations) {
      const [method = '', route = '', status = ''] = key.split(' ');
      yield [{ method, route, status }, buckets.snapshot()];
    }
  }
  labelled(registry, Counter, 'nemesis_http_requests_total', 'HTTP requests answered, by method, route and status.', ['method', 'route', 'status'], function* () {
    for (const [labels, h] of byLabels()) yield [labels, h.count];
  });
  histogram(registry, 'nemesis_http_request_duration_seconds', 'Time to answer HTTP requests, by method, route pattern and status, seconds.', byLabels);
}
