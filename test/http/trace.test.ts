/** POST /host/trace and GET /host/trace/{id}: a recording session on the live host, in simulated time. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { build, type TestDaemon } from '../helpers.ts';

const API = '/api/v1';

async function raw(d: TestDaemon, url: string, headers: Record<string, string> = {}) {
  const response = await d.app.inject({ method: 'GET', url, headers });
  return { status: response.statusCode, type: String(response.headers['content-type']), body: response.body };
}

async function hostWithGuests(d: TestDaemon): Promise<void> {
  assert.equal((await d.request('POST', `${API}/domains`, { name: 'web', start: true })).status, 201);
  assert.equal((await d.request('POST', `${API}/domains`, { name: 'db', start: true, cap: 40 })).status, 201);
}

describe('scheduler traces over the API', () => {
  it('records ms of simulated time: 202 and a Location, 202 while recording, then the trace in either format', async (t) => {
    const d = await build(t, { pcpus: 2 });
    await hostWithGuests(d);
    await d.request('POST', `${API}/host/clock/advance`, { ms: 1000 });
    const started = await d.request('POST', `${API}/host/trace`, { ms: 300 });
    assert.equal(started.status, 202);
    assert.equal(started.headers.location, `${API}/host/trace/1`);
    assert.equal(started.body.id, 1);
    assert.equal(started.body.status, 'recording');
    assert.equal(started.body.start_ns, 1000_000_000);
    assert.equal(started.body.end_ns, 1300_000_000);
    // 30 ticks × 2 pCPUs × 2, and 10 accounting periods × 4 online vCPUs (Domain-0's 2, web, db) × 2.
    assert.equal(started.body.estimated_events, 120 + 80);

    await d.request('POST', `${API}/host/clock/advance`, { ms: 299 });
    const recording = await d.request('GET', `${API}/host/trace/1`);
    assert.equal(recording.status, 202);
    assert.equal(recording.body.status, 'recording');
    assert.equal(recording.body.now_ns, 1299_000_000);

    await d.request('POST', `${API}/host/clock/advance`, { ms: 1 });
    const chrome = await raw(d, `${API}/host/trace/1`);
    assert.equal(chrome.status, 200);
    assert.match(chrome.type, /^application\/json/);
    const document = JSON.parse(chrome.body) as { traceEvents: { ph: string; name: string; pid: number; tid: number; dur?: number; args?: { name?: string } }[] };
    const tracks = document.traceEvents.filter((e) => e.ph === 'M' && e.name === 'thread_name' && e.pid === 1).map((e) => e.args?.name);
    assert.deepEqual(tracks, ['pCPU 0', 'pCPU 1']);
    const ran = new Set(document.traceEvents.filter((e) => e.ph === 'X').map((e) => e.name));
    assert.ok(ran.has('web v0') && ran.has('db v0'), 'slices carry the domains\' names');
    // Two CPU hogs, two pCPUs: each pCPU is busy the whole window (db, capped at 40, leaves its pCPU to web or idle).
    const busy_us = [0, 1].map((tid) => document.traceEvents.filter((e) => e.ph === 'X' && e.tid === tid).reduce((sum, e) => sum + e.dur!, 0));
    assert.ok(busy_us[0]! + busy_us[1]! >= 300_000 * 1.39 && busy_us[0]! + busy_us[1]! <= 300_000 * 1.41, `web 100% + db 40%: ${busy_us.join(', ')} µs`);

    const done = await d.request('GET', `${API}/host/trace/1?format=chrome`);
    assert.equal(done.status, 200);
    const lines = await raw(d, `${API}/host/trace/1?format=jsonl`);
    assert.match(lines.type, /^application\/x-ndjson/);
    const records = lines.body.trimEnd().split('\n').map((line) => JSON.parse(line) as { kind: string; start_ns?: number; end_ns?: number });
    assert.deepEqual([records[0]!.kind, records[0]!.start_ns, records[0]!.end_ns], ['trace', 1000_000_000, 1300_000_000]);
    assert.ok(records.slice(1).every((r) => ['switch', 'ledger', 'boost', 'park', 'unpark'].includes(r.kind)));
    const negotiated = await raw(d, `${API}/host/trace/1`, { accept: 'application/x-ndjson' });
    assert.equal(negotiated.body, lines.body, 'Accept chooses JSON Lines too');
  });

  it('one at a time: a second start while one records is 409 TRACE_IN_PROGRESS and changes nothing', async (t) => {
    const d = await build(t);
    const first = await d.request('POST', `${API}/host/trace`, { ms: 50 });
    const second = await d.request('POST', `${API}/host/trace`, { ms: 50, format: 'jsonl' });
    assert.equal(second.status, 409);
    assert.equal(second.body.code, 'TRACE_IN_PROGRESS');
    assert.match(second.body.message, /trace 1 is still recording/);
    await d.request('POST', `${API}/host/clock/advance`, { ms: 50 });
    assert.equal((await d.request('GET', `${API}/host/trace/${first.body.id}`)).status, 200);
    const third = await d.request('POST', `${API}/host/trace`, { ms: 50 });
    assert.equal(third.status, 202, 'free again once the window is over');
    assert.equal(third.body.id, 2);
  });

  it('refuses a window estimated over the event limit, naming the limit; nothing starts', async (t) => {
    const d = await build(t, { pcpus: 4 });
    const refused = await d.request('POST', `${API}/host/trace`, { ms: 600_000 });
    assert.equal(refused.status, 400);
    assert.equal(refused.body.code, 'TRACE_TOO_LARGE');
    assert.equal(refused.body.field, 'ms');
    assert.match(refused.body.message, /over the limit of 200000/);
    const next = await d.request('POST', `${API}/host/trace`, { ms: 10 });
    assert.equal(next.status, 202);
    assert.equal(next.body.id, 1);
  });

  it('bad input is a 400 naming the field; an unknown or forgotten trace a 404 NO_SUCH_TRACE', async (t) => {
    const d = await build(t);
    for (const body of [{ ms: 0 }, { ms: 600_001 }, { ms: 10, format: 'xml' }, {}]) {
      const reply = await d.request('POST', `${API}/host/trace`, body);
      assert.equal(reply.status, 400, JSON.stringify(body));
      assert.equal(reply.body.code, 'INVALID_ARGUMENT');
    }
    assert.equal((await d.request('GET', `${API}/host/trace/1`)).body.code, 'NO_SUCH_TRACE');
    for (let i = 0; i < 5; i++) {
      await d.request('POST', `${API}/host/trace`, { ms: 1 });
      await d.request('POST', `${API}/host/clock/advance`, { ms: 1 });
    }
    const forgotten = await d.request('GET', `${API}/host/trace/1`);
    assert.equal(forgotten.status, 404);
    assert.match(forgotten.body.message, /no longer kept \(the last 4/);
    assert.equal((await d.request('GET', `${API}/host/trace/2`)).status, 200);
    assert.equal((await d.request('GET', `${API}/host/trace/6`)).body.message, 'trace 6: no trace has this id');
  });
});
