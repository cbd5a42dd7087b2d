import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { collectDefaultMetrics, Registry } from 'prom-client';
import { build, type TestDaemon } from '../helpers.ts';

async function scrape(d: TestDaemon): Promise<Map<string, number>> {
  const res = await d.app.inject({ method: 'GET', url: '/metrics' });
  assert.equal(res.statusCode, 200);
  const series = new Map<string, number>();
  for (const line of res.body.split('\n')) {
    if (line.startsWith('#') || line === '') continue;
    const at = line.lastIndexOf(' ');
    series.set(line.slice(0, at), Number(line.slice(at + 1)));
  }
  return series;
}

describe("/metrics: the daemon's process", () => {
  it("has every one of prom-client's default metrics, the event-loop lag read from the daemon's one monitor", async (t) => {
    const summary = { min_ms: 0, max_ms: 250, mean_ms: 12.5, stddev_ms: 40, p50_ms: 0.5, p90_ms: 20, p99_ms: 240 };
    let scrapes = 0;
    const eventLoop = { takeWindowMean_ms: () => 0, takeSummary: () => (scrapes++, summary), close: () => undefined };
    const d = await build(t, { eventLoop });
    const metrics = await scrape(d);
    assert.equal(scrapes, 1, 'one distribution a scrape');
    const lag = (name: string): number | undefined => metrics.get(`nemesisd_nodejs_eventloop_lag_${name}_seconds`);
    assert.deepEqual(
      ['min', 'max', 'mean', 'stddev', 'p50', 'p90', 'p99'].map(lag),
      [0, 0.25, 0.0125, 0.04, 0.0005, 0.02, 0.24],
    );
    const reference = new Registry();
    collectDefaultMetrics({ register: reference, prefix: 'nemesisd_' });
    const names = (await reference.getMetricsAsJSON()).map((m) => m.name).sort();
    const ours = (await d.app.inject({ method: 'GET', url: '/metrics' })).body.split('\n').filter((l) => l.startsWith('# TYPE nemesisd_')).map((l) => l.split(' ')[2]!).sort();
    assert.deepEqual(ours, names);
    assert.ok(names.includes('nemesisd_nodejs_eventloop_lag_p99_seconds') && names.includes('nemesisd_process_cpu_seconds_total'));
  });
});

describe('/metrics: the simulation, the scheduler and the daemon', () => {
  it("agree with the domains' cpu_time_ns and the pCPUs' busy and idle time", async (t) => {
    const d = await build(t, { pcpus: 2 });
    await d.request('POST', '/api/v1/domains', { name: 'a', start: true, cap: 10 });
    await d.request('POST', '/api/v1/domains', { name: 'b', start: true, workload: { type: 'duty', run_ms: 3, sleep_ms: 7 } });
    await d.request('POST', '/api/v1/host/clock/advance', { ms: 12_345 });
    const metrics = await scrape(d);
    const domains = (await d.request('GET', '/api/v1/domains')).body as { id: number; name: string; cpu_time_ns: number }[];
    for (const { id, name, cpu_time_ns } of domains) {
      const labels = `domid="${id}",name="${name}"`;
      assert.equal(metrics.get(`nemesis_domain_cpu_seconds_total{${labels}}`), cpu_time_ns / 1e9, name);
      assert.equal(metrics.get(`nemesis_domain_vcpu_seconds_total{${labels},state="running"}`), cpu_time_ns / 1e9, name);
    }
    // Every vCPU is in exactly one runstate: b's one vCPU adds up to the 12.345 s simulated.
    const b = ['running', 'runnable', 'blocked', 'offline'].reduce((sum, state) => sum + metrics.get(`nemesis_domain_vcpu_seconds_total{domid="2",name="b",state="${state}"}`)!, 0);
    assert.ok(Math.abs(b - 12.345) < 1e-9, `${b}`);
    const pcpus = (await d.request('GET', '/api/v1/host/pcpus')).body as { id: number; busy_ns: number; idle_ns: number }[];
    for (const p of pcpus) {
      assert.equal(metrics.get(`nemesis_pcpu_busy_seconds_total{pcpu="${p.id}"}`), p.busy_ns / 1e9);
      assert.equal(metrics.get(`nemesis_pcpu_idle_seconds_total{pcpu="${p.id}"}`), p.idle_ns / 1e9);
    }
    // 12.345 s is 411 whole accounting periods of 30 ms; a capped domain is parked and unparked; a duty one wakes boosted.
    assert.equal(metrics.get('nemesis_sched_accounting_periods_total'), 411);
    assert.ok(metrics.get('nemesis_sched_parks_total')! > 0);
    assert.ok(metrics.get('nemesis_sched_boost_wakes_total')! > 0);
    assert.ok(metrics.get('nemesis_sched_context_switches_total')! > 0);
    // The fairness gauges: a is capped at 10 (0.1 of a pCPU), b wants 30%.
    assert.equal(metrics.get('nemesis_domain_cpu_expected_ratio{domid="1",name="a"}'), 0.1);
    assert.equal(metrics.get('nemesis_domain_cpu_expected_ratio{domid="2",name="b"}'), 0.3);
    assert.ok(Math.abs(metrics.get('nemesis_domain_cpu_observed_ratio{domid="1",name="a"}')! - 0.1) < 0.005);
    // HTTP durations by method, route pattern and status: the two creations.
    assert.equal(metrics.get('nemesis_http_request_duration_seconds_count{method="POST",route="/api/v1/domains",status="201"}'), 2);
    assert.equal(metrics.get('nemesis_http_request_duration_seconds_bucket{method="POST",route="/api/v1/domains",status="201",le="+Inf"}'), 2);
    assert.ok(metrics.get('nemesis_http_request_duration_seconds_sum{method="POST",route="/api/v1/domains",status="201"}')! > 0);
    assert.equal(metrics.get('nemesis_tick_lateness_seconds_count'), 0, 'the frozen clock has not ticked');
  });

  it("drop a deleted domain's series", async (t) => {
    const d = await build(t, { pcpus: 1 });
    await d.request('POST', '/api/v1/domains', { name: 'gone', start: true });
    await d.request('POST', '/api/v1/host/clock/advance', { ms: 1000 });
    const before = await scrape(d);
    assert.equal(before.get('nemesis_domain_cpu_seconds_total{domid="1",name="gone"}'), 1);
    await d.request('POST', '/api/v1/domains/gone/destroy');
    assert.equal((await d.request('DELETE', '/api/v1/domains/gone')).status, 204);
    const after = await scrape(d);
    const left = [...after.keys()].filter((key) => key.includes('name="gone"'));
    assert.deepEqual(left, []);
    assert.ok([...before.keys()].filter((key) => key.includes('name="gone"')).length >= 7, 'it had CPU, runstate and share series');
  });
});
