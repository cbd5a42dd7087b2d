import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { describe, it } from 'node:test';
import { build } from '../helpers.ts';
import { bodyOf, openStream, parseBlock, portOf } from './sse-client.ts';

describe('/api/v1/events under slow clients and many clients', () => {
  it('disconnect a client that never reads, with events-lost, holding at most its queue bound', async (t) => {
    const queueBytes = 64 * 1024;
    const d = await build(t, { streamLimits: { queueBytes } });
    await d.app.listen({ port: 0, host: '127.0.0.1' });
    const socket = connect(portOf(d.app), '127.0.0.1');
    socket.write(`GET /api/v1/events HTTP/1.1\r\nHost: 127.0.0.1:${portOf(d.app)}\r\n\r\n`);
    await new Promise((resolve) => socket.once('data', resolve)); // the headers: the stream is open
    socket.pause(); // from now on the client reads nothing
    assert.equal(d.control.events.listenerCount, 1);

    // 5000 events of 4 KiB (20 MiB): far more than the socket's buffers take.
    const pad = 'x'.repeat(4096);
    let peakQueued = 0;
    for (let i = 0; i < 5000; i += 1) {
      d.control.events.publish('domain.updated', i, { domain: 0, name: 'Domain-0', changed: [pad] });
      peakQueued = Math.max(peakQueued, d.streams.queuedBytes);
    }
    // Disconnected: no longer subscribed nor counted; what it held back never exceeded the bound and one message.
    assert.equal(d.control.events.listenerCount, 0);
    assert.equal(d.streams.size, 0);
    assert.ok(peakQueued <= queueBytes + 4096 + 200, `peak queue ${peakQueued} bytes`);

    // When it reads again, it gets what the socket held, then events-lost, then the end of the stream.
    socket.resume();
    let text = '';
    socket.setEncoding('utf8');
    for await (const chunk of socket) text += chunk as string;
    const blocks = text.split('\n\n').map((block) => block.replace(/^[0-9a-f]+\r\n/gm, '')).filter((b) => b.includes('event: '));
    const last = parseBlock(blocks.at(-1)!.slice(blocks.at(-1)!.indexOf('id: ')));
    assert.equal(last?.event, 'events-lost');
    assert.equal(last?.data['reason'], 'slow-client');
    // Its id is the event that overflowed the queue: a reconnect resumes after what was lost.
    assert.match(last?.id ?? '', new RegExp(`^${d.control.events.boot}-[0-9]+$`));
    assert.ok(blocks.length < 5000, `${blocks.length} events reached the client`);
  });

  it('refuse streams past the per-address and the overall limit with 503 TOO_MANY_STREAMS', async (t) => {
    const d = await build(t, { streamLimits: { total: 3, perClient: 2 } });
    await d.app.listen({ port: 0, host: '127.0.0.1' });
    const first = await openStream(d.app, '/api/v1/events');
    const second = await openStream(d.app, '/api/v1/events');
    assert.deepEqual([first.response.statusCode, second.response.statusCode], [200, 200]);
    const third = await openStream(d.app, '/api/v1/events');
    assert.equal(third.response.statusCode, 503);
    const perClient = JSON.parse(await bodyOf(third.response));
    assert.deepEqual(perClient, {
      statusCode: 503,
      code: 'TOO_MANY_STREAMS',
      error: 'Service Unavailable',
      message: '127.0.0.1 has 2 event streams open; no more are accepted from it',
    });
    // Another address may still open one, up to the overall limit.
    const other = await openStream(d.app, '/api/v1/events', { localAddress: '127.0.0.2' });
    assert.equal(other.response.statusCode, 200);
    const fourth = await openStream(d.app, '/api/v1/events', { localAddress: '127.0.0.3' });
    assert.equal(fourth.response.statusCode, 503);
    assert.equal(JSON.parse(await bodyOf(fourth.response)).message, '3 event streams are open; no more are accepted');
    assert.equal(d.streams.size, 3);
    // A closed stream frees its place.
    const closed = new Promise((resolve) => first.response.once('close', resolve));
    first.close();
    await closed;
    while (d.streams.size > 2) await new Promise((resolve) => setImmediate(resolve));
    const again = await openStream(d.app, '/api/v1/events');
    assert.equal(again.response.statusCode, 200);
  });

  it('answer HEAD /api/v1/events at once, holding nothing', async (t) => {
    const d = await build(t);
    const res = await d.app.inject({ method: 'HEAD', url: '/api/v1/events' });
    assert.equal(res.statusCode, 200);
    assert.match(res.headers['content-type']?.toString() ?? '', /^text\/event-stream/);
    assert.equal(res.body, '');
    assert.equal(d.streams.size, 0);
    assert.equal(d.control.events.listenerCount, 0);
  });
});

describe('/api/v1/events ids across restarts, and filters', () => {
  it('give a client reconnecting with an id from before a restart events-lost, then the changes from now on', async (t) => {
    const first = await build(t);
    await first.request('POST', '/api/v1/domains', { name: 'a' });
    await first.request('POST', '/api/v1/domains/a/start');
    const lastSeen = first.control.events.lastId;
    assert.match(lastSeen, /^[0-9a-f]{8}-2$/);
    await first.close();

    const second = await build(t, { dir: first.dir });
    await second.app.listen({ port: 0, host: '127.0.0.1' });
    assert.notEqual(second.control.events.boot, first.control.events.boot);
    // The new daemon counts from 1 again: without the boot in the id, `-2` would look like a valid point to resume from.
    await second.request('POST', '/api/v1/domains', { name: 'b' });
    await second.request('POST', '/api/v1/domains/b/start');
    await second.request('POST', '/api/v1/domains/b/pause');
    for (const id of [lastSeen, '500']) {
      const now = second.control.events.lastId;
      const stream = await openStream(second.app, '/api/v1/events', { headers: { 'last-event-id': id } });
      const [lost] = await stream.take(1);
      assert.deepEqual(lost, { id: now, event: 'events-lost', data: { at_ns: 0, reason: 'other-boot' } });
      await second.request('PUT', '/api/v1/domains/b/sched', { weight: 512 });
      const [change] = await stream.take(1);
      assert.equal(change?.event, 'domain.sched');
      assert.equal(change?.id, second.control.events.lastId);
      stream.close();
    }
  });

  it('give events-lost (too-old) to a client whose id is older than what is kept', async (t) => {
    const d = await build(t);
    await d.app.listen({ port: 0, host: '127.0.0.1' });
    for (let i = 0; i < 1100; i += 1) d.control.events.publish('clock.updated', 0, { speed: 0 });
    const stream = await openStream(d.app, '/api/v1/events', { headers: { 'last-event-id': `${d.control.events.boot}-10` } });
    const [lost] = await stream.take(1);
    assert.deepEqual([lost?.event, lost?.data['reason']], ['events-lost', 'too-old']);
    stream.close();
    // 1024 are kept: events 77..1100, so a client that saw 76 misses nothing.
    const replay = await openStream(d.app, '/api/v1/events', { headers: { 'last-event-id': `${d.control.events.boot}-76` } });
    const [firstMissed] = await replay.take(1);
    assert.equal(firstMissed?.id, `${d.control.events.boot}-77`);
    replay.close();
  });

  it('filter by ?types= patterns and ?domain=', async (t) => {
    const d = await build(t, { pcpus: 2 });
    await d.app.listen({ port: 0, host: '127.0.0.1' });
    await d.request('POST', '/api/v1/domains', { name: 'a' });
    const stream = await openStream(d.app, '/api/v1/events?types=domain.*,scheduling-domain.member-added&domain=a');
    await d.request('PUT', '/api/v1/host/clock', { speed: 0 }); // clock.updated: not a domain type
    await d.request('POST', '/api/v1/domains', { name: 'b' }); // about b
    await d.request('POST', '/api/v1/domains/a/start');
    await d.request('PUT', '/api/v1/domains/b/sched', { weight: 9 }); // about b
    await d.request('POST', '/api/v1/scheduling-domains/a/members', { domain: 'b' }); // created (type filtered out), member-added (a is master)
    await d.request('PUT', '/api/v1/domains/a/sched', { cap: 50 });
    const events = await stream.take(3);
    assert.deepEqual(events.map((e) => e.event), ['domain.started', 'scheduling-domain.member-added', 'domain.sched']);
    // The group's version: Domain-0 2, a 3, b 4, a started 5, b's weight 6 (the clock's speed has no version), the group 7.
    assert.deepEqual(events[1]?.data, { at_ns: 0, master: 1, member: 2, share: 256, version: 7 });
    stream.close();

    const badType = await d.request('GET', '/api/v1/events?types=domain.*,vm.*');
    assert.deepEqual(badType.body, {
      statusCode: 400,
      code: 'INVALID_ARGUMENT',
      error: 'Bad Request',
      message: 'querystring/types: "vm.*" names no event type',
      field: 'types',
    });
    const noDomain = await d.request('GET', '/api/v1/events?domain=nobody');
    assert.deepEqual([noDomain.status, noDomain.body.code], [404, 'NO_SUCH_DOMAIN']);
  });
});
