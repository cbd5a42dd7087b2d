import assert from 'node:assert/strict';
import { get, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, it } from 'node:test';
import type { Timers } from '../../src/runtime/clock.ts';
import { build } from '../helpers.ts';

/** Timers the test fires by hand: the usage stream's wall-time interval without waiting for it. */
function manualTimers(): Timers & { delays: number[]; pending: number; fire(): void } {
  const pending = new Set<{ fn: () => void }>();
  return {
    delays: [],
    get pending() {
      return pending.size;
    },
    setTimeout(fn, delay_ms) {
      this.delays.push(delay_ms);
      const handle = { fn };
      pending.add(handle);
      return handle;
    },
    clearTimeout(handle) {
      pending.delete(handle as { fn: () => void });
    },
    fire() {
      const due = [...pending];
      pending.clear();
      for (const timer of due) timer.fn();
    },
  };
}

/** `usage` events as they arrive on the stream. */
function usageEvents(stream: IncomingMessage): { events: Record<string, any>[]; next(): Promise<Record<string, any>> } { // eslint-disable-line @typescript-eslint/no-explicit-any -- the events' JSON
  const events: Record<string, any>[] = []; // eslint-disable-line @typescript-eslint/no-explicit-any -- as above
  let waiter: (() => void) | null = null;
  let buffer = '';
  stream.setEncoding('utf8');
  stream.on('data', (chunk: string) => {
    const blocks = (buffer + chunk).split('\n\n');
    buffer = blocks.pop()!;
    for (const match of blocks.map((block) => /^event: usage\ndata: (.*)$/.exec(block))) {
      if (match === null) continue;
      events.push(JSON.parse(match[1]!));
      waiter?.();
    }
  });
  let taken = 0;
  return {
    events,
    async next() {
      while (events.length <= taken) await new Promise<void>((resolve) => (waiter = resolve));
      return events[taken++]!;
    },
  };
}

describe('/api/v1/events?usage_ms=N', () => {
  it('sends a usage event every N ms of wall time, with shares that add up to the busy pCPUs', async (t) => {
    const timers = manualTimers();
    const d = await build(t, { pcpus: 2, timers });
    for (const [name, weight] of [['a', 256], ['b', 512], ['c', 256]] as const) {
      assert.equal((await d.request('POST', '/api/v1/domains', { name, start: true, weight })).status, 201);
    }
    await d.request('POST', '/api/v1/scheduling-domains/a/members', { domain: 'c' });
    await d.app.listen({ port: 0, host: '127.0.0.1' });
    const { port } = d.app.server.address() as AddressInfo;
    const stream = await new Promise<IncomingMessage>((resolve) => get({ host: '127.0.0.1', port, path: '/api/v1/events?usage_ms=250' }, resolve));
    assert.equal(stream.statusCode, 200);
    const usage = usageEvents(stream);
    for (let i = 1; i <= 4; i++) {
      await d.request('POST', '/api/v1/host/clock/advance', { ms: 3000 });
      timers.fire();
      const event = await usage.next();
      assert.equal(event.interval_ns, 3_000_000_000);
      assert.equal(event.now_ns, i * 3_000_000_000);
      assert.equal(event.speed, 0);
      const domainSum = event.domains.reduce((sum: number, x: { observed_pct: number }) => sum + x.observed_pct, 0);
      assert.ok(Math.abs(domainSum - event.busy_pct) < 0.01, `${domainSum} vs ${event.busy_pct}`);
      assert.equal(event.busy_pct, 200, 'three CPU-bound domains keep both pCPUs busy');
      assert.deepEqual(event.pcpus.map((p: { busy_pct: number }) => p.busy_pct), [100, 100]);
      const group = event.scheduling_domains.find((g: { master: number }) => g.master === 1);
      const a = event.domains.find((x: { id: number }) => x.id === 1).observed_pct;
      const c = event.domains.find((x: { id: number }) => x.id === 3).observed_pct;
      assert.ok(Math.abs(group.observed_pct - (a + c)) < 0.01);
    }
    // One timer per interval, each armed for the requested 250 ms; one event per firing.
    assert.deepEqual(timers.delays, [250, 250, 250, 250, 250]);
    assert.equal(usage.events.length, 4);
    stream.destroy();
    await new Promise((resolve) => setImmediate(resolve));
    for (let i = 0; i < 50 && timers.pending > 0; i++) await new Promise((resolve) => setImmediate(resolve));
    assert.equal(timers.pending, 0, 'a closed stream stops its usage events');
  });

  it('refuses an interval outside 100..60000 ms, and sends no usage events unless asked', async (t) => {
    const timers = manualTimers();
    const d = await build(t, { pcpus: 1, timers });
    for (const bad of ['99', '60001', 'x']) {
      const reply = await d.request('GET', `/api/v1/events?usage_ms=${bad}`);
      assert.equal(reply.status, 400, bad);
      assert.equal(reply.body.code, 'INVALID_ARGUMENT');
      assert.match(reply.body.message, /usage_ms/);
    }
    assert.equal(timers.delays.length, 0);
  });
});
