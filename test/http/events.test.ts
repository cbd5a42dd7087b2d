import assert from 'node:assert/strict';
import { get, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, it } from 'node:test';
import { build } from '../helpers.ts';

interface SseEvent {
  readonly id: string;
  readonly event: string;
  readonly data: Record<string, unknown>;
}

/** Collect `count` events from an open stream. */
function readEvents(stream: IncomingMessage, count: number): Promise<SseEvent[]> {
  return new Promise((resolve, reject) => {
    const events: SseEvent[] = [];
    let buffer = '';
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => {
      buffer += chunk;
      let end: number;
      while ((end = buffer.indexOf('\n\n')) !== -1) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const fields = Object.fromEntries(block.split('\n').filter((l) => !l.startsWith(':')).map((l) => [l.slice(0, l.indexOf(':')), l.slice(l.indexOf(':') + 2)]));
        if (fields['event'] === undefined) continue;
        events.push({ id: fields['id'] ?? '', event: fields['event'], data: JSON.parse(fields['data'] ?? '{}') as Record<string, unknown> });
        if (events.length === count) resolve([...events]);
      }
    });
    stream.on('error', reject);
  });
}

describe('/api/v1/events', () => {
  it('stream lifecycle, parameter and membership changes as server-sent events', async (t) => {
    const d = await build(t, { pcpus: 1, token: 't' });
    await d.app.listen({ port: 0, host: '127.0.0.1' });
    const { port } = d.app.server.address() as AddressInfo;
    const unauthorized = await new Promise<number>((resolve) => get(`http://127.0.0.1:${port}/api/v1/events`, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    }));
    assert.equal(unauthorized, 401);

    const stream = await new Promise<IncomingMessage>((resolve) =>
      get({ host: '127.0.0.1', port, path: '/api/v1/events', headers: { authorization: 'Bearer t' } }, resolve),
    );
    assert.equal(stream.statusCode, 200);
    assert.match(stream.headers['content-type'] ?? '', /^text\/event-stream/);
    const received = readEvents(stream, 8);
    const auth = { authorization: 'Bearer t' };
    await d.request('POST', '/api/v1/domains', { name: 'a', start: true }, auth);
    await d.request('POST', '/api/v1/domains', { name: 'b' }, auth);
    await d.request('PUT', '/api/v1/domains/a/sched', { cap: 10 }, auth);
    await d.request('POST', '/api/v1/domains/nobody/start', undefined, auth); // fails: no event
    await d.request('POST', '/api/v1/scheduling-domains/a/members', { domain: 'b' }, auth);
    await d.request('PATCH', '/api/v1/scheduling-domains/a', { master_share: 768 }, auth);
    await d.request('PUT', '/api/v1/scheduling-domains/a/members/a', { share: 7 }, auth); // fails: not a member
    await d.request('PUT', '/api/v1/scheduling-domains/a/members/b', { share: 128 }, auth);
    const events = await received;
    assert.deepEqual(events.map((e) => e.event), [
      'domain.created',
      'domain.started',
      'domain.created',
      'domain.sched',
      'scheduling-domain.created',
      'scheduling-domain.member-added',
      'scheduling-domain.share-changed',
      'scheduling-domain.share-changed',
    ]);
    assert.deepEqual(events.map((e) => e.id), [1, 2, 3, 4, 5, 6, 7, 8].map((seq) => `${d.control.events.boot}-${seq}`));
    // Versions count the host's changes: Domain-0 made at start is 2, then a 3, b 4, a's cap 5, the group 6, 7, 8.
    assert.deepEqual(events[5]?.data, { at_ns: 0, master: 1, member: 2, share: 256, version: 6 });
    assert.deepEqual(events[6]?.data, { at_ns: 0, master: 1, domain: 1, share: 768, version: 7 });
    assert.deepEqual(events[7]?.data, { at_ns: 0, master: 1, domain: 2, share: 128, version: 8 });
    assert.deepEqual(events[3]?.data, { at_ns: 0, domain: 1, name: 'a', weight: 256, cap: 10, version: 5 });
    // close() ends open streams, so shutdown does not wait for them.
    const ended = new Promise((resolve) => stream.once('close', resolve));
    await d.close();
    await ended;
  });

  it('replay what a reconnecting client missed, from its Last-Event-ID', async (t) => {
    const d = await build(t, { pcpus: 1 });
    await d.app.listen({ port: 0, host: '127.0.0.1' });
    const { port } = d.app.server.address() as AddressInfo;
    await d.request('POST', '/api/v1/domains', { name: 'a' });
    await d.request('POST', '/api/v1/domains/a/start');
    await d.request('POST', '/api/v1/domains/a/pause');
    const stream = await new Promise<IncomingMessage>((resolve) =>
      get({ host: '127.0.0.1', port, path: '/api/v1/events', headers: { 'last-event-id': `${d.control.events.boot}-1` } }, resolve),
    );
    const received = readEvents(stream, 3);
    await d.request('POST', '/api/v1/domains/a/unpause');
    const events = await received;
    assert.deepEqual(events.map((e) => [e.id, e.event]), [
      [`${d.control.events.boot}-2`, 'domain.started'],
      [`${d.control.events.boot}-3`, 'domain.paused'],
      [`${d.control.events.boot}-4`, 'domain.unpaused'],
    ]);
    stream.destroy();
    const bad = await d.request('GET', '/api/v1/events', undefined, { 'last-event-id': 'yesterday' });
    assert.deepEqual([bad.status, bad.body.code], [400, 'INVALID_ARGUMENT']);
  });
});
