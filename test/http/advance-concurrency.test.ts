/**
 * A long advance is computed in chunks, so the daemon keeps answering while
 * it runs: a request sent during it is answered before it ends, at a
 * simulated time part-way through.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { build } from '../helpers.ts';

const NS_PER_MS = 1e6;
const ADVANCE_MS = 600_000;

describe('a request during a long advance', () => {
  it('is answered before the advance ends, part-way through it', async (t) => {
    const d = await build(t, { pcpus: 2 });
    for (const name of ['a', 'b', 'c']) await d.request('POST', '/api/v1/domains', { name, vcpus: 2, workload: { type: 'duty', run_ms: 1, sleep_ms: 1 }, start: true });
    let finished = false;
    const advance = d.request('POST', '/api/v1/host/clock/advance', { ms: ADVANCE_MS }).then((res) => {
      finished = true;
      return res;
    });
    // Ask again and again while it runs: some answer must come part-way through.
    const seen: number[] = [];
    while (!finished && seen.length < 1000) {
      // Give the advance its turn (it yields between chunks with setImmediate), then ask.
      await new Promise<void>((resolve) => setImmediate(resolve));
      const during = await d.request('GET', '/api/v1/host');
      assert.equal(during.status, 200);
      if (!finished) seen.push(during.body.clock.now_ns);
    }
    const done = await advance;
    assert.equal(done.status, 200);
    assert.equal(done.body.now_ns, ADVANCE_MS * NS_PER_MS);
    const partWay = seen.filter((now_ns) => now_ns > 0 && now_ns < ADVANCE_MS * NS_PER_MS);
    assert.ok(partWay.length > 0, `no answer came part-way through the advance (saw ${seen.slice(0, 20).join(', ')}…)`);
  });
});
