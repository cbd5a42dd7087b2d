/**
 * Prometheus metrics (GET /metrics). Values about the simulation are read
 * when scraped; HTTP requests are counted as they finish. One registry per
 * app, so several apps (tests) never share counters.
 */
import type { FastifyInstance, onResponseHookHandler } from 'fastify';
import { collectDefaultMetrics, Counter, Gauge, Registry } from 'prom-client';
import { POWER_STATES, type Control } from '../control/index.ts';

const NS_PER_S = 1e9;
const MS_PER_S = 1e3;

export function createMetrics(control: Control): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'nemesisd_' });
  const clock = () => control.host.info().clock;

  new Gauge({
    name: 'nemesis_domains',
    help: 'Domains by power state.',
    labelNames: ['state'],
    registers: [registry],
    collect() {
      const counts = new Map<string, number>(POWER_STATES.map((s) => [s, 0]));
      for (const domain of control.state.domains.values()) counts.set(domain.state, (counts.get(domain.state) ?? 0) + 1);
      for (const [state, count] of counts) this.set({ state }, count);
    },
  });
  // Counters that only grow while the daemon runs (a domain's from its last start): read when scraped.
  new Counter({
    name: 'nemesis_domain_cpu_seconds_total',
    help: 'Simulated CPU time consumed by each domain since it last started, seconds.',
    labelNames: ['domid', 'name'],
    registers: [registry],
    collect() {
      this.reset();
      for (const d of control.domains.list()) this.inc({ domid: String(d.id), name: d.name }, d.cpu_time_ns / NS_PER_S);
    },
  });
  const counter = (name: string, help: string, read: () => number): void =>
    void new Counter({ name, help, registers: [registry], collect() { this.reset(); this.inc(read()); } });
  const gauge = (name: string, help: string, read: () => number): void =>
    void new Gauge({ name, help, registers: [registry], collect() { this.set(read()); } });
  gauge('nemesis_sim_time_seconds', 'Simulated time since the host booted, seconds.', () => clock().now_ns / NS_PER_S);
  gauge('nemesis_clock_speed', 'Simulated seconds per real second (0 = frozen).', () => clock().speed);
  gauge('nemesis_tick_lag_seconds', 'How late the last tick of the real-time loop fired, seconds.', () => clock().loop.last_late_ms / MS_PER_S);
  gauge('nemesis_tick_max_lag_seconds', 'The latest any tick of the real-time loop fired, seconds.', () => clock().loop.max_late_ms / MS_PER_S);
  counter('nemesis_tick_skipped_seconds_total', 'Simulated time given up after stalls, seconds.', () => clock().skipped_ns / NS_PER_S);
  counter('nemesis_ticks_total', 'Ticks of the real-time loop.', () => clock().loop.ticks);
  gauge('nemesis_event_subscribers', 'Open /api/v1/events streams.', () => control.events.listenerCount);
  gauge('nemesis_store_busy', '1 while another process holds the database lock (changes answer 503 STORE_BUSY).', () => Number(control.store.health().busy));
  counter('nemesis_store_busy_errors_total', 'Changes refused because another process held the database lock.', () => control.store.health().busy_errors_total);
  return registry;
}

/**
 * Counting is a Map increment in a callback hook (no promise, no label
 * lookup per request); the counter is filled from it when scraped. Each
 * route gets its own hook, made when the route is added, because reading
 * `request.routeOptions` builds a new object on every request.
 */
export function countRequests(app: FastifyInstance, registry: Registry): void {
  const counts = new Map<string, number>();
  const count = (key: string): void => void counts.set(key, (counts.get(key) ?? 0) + 1);
  app.addHook('onRoute', (route) => {
    const counter: onResponseHookHandler = (request, reply, done) => {
      count(`${request.method} ${route.url} ${reply.statusCode}`);
      done();
    };
    route.onResponse = [...[route.onResponse ?? []].flat(), counter];
  });
  app.addHook('onResponse', (request, reply, done) => {
    if (request.is404) count(`${request.method} unmatched ${reply.statusCode}`);
    done();
  });
  new Counter({
    name: 'nemesis_http_requests_total',
    help: 'HTTP requests answered, by method, route and status.',
    labelNames: ['method', 'route', 'status'],
    registers: [registry],
    collect() {
      this.reset();
      for (const [key, count] of counts) {
        const [method = '', route = '', status = ''] = key.split(' ');
        this.inc({ method, route, status }, count);
      }
    },
  });
}
