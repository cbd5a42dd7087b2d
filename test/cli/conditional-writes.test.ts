import assert from 'node:assert/strict';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { describe, it } from 'node:test';
import { startCliDaemon, type CliDaemon } from './helpers.ts';

/** Once the tool's read of `path` is answered, another client changes the resource (`change`) before the tool writes. */
function changeAfterRead(d: CliDaemon, path: string, change: () => void): void {
  d.app.server.prependListener('request', (request: IncomingMessage, response: ServerResponse) => {
    if (request.method === 'GET' && request.url === path) response.once('finish', change);
  });
}

describe('the tool\'s read-modify-write commands', () => {
  it('sched-credit -d writes against the version it read: a change made in between is refused, not overwritten', async () => {
    const d = await startCliDaemon();
    try {
      await d.json('create', 'web');
      assert.equal((await d.run('sched-credit', '-d', 'web', '-w', '512')).code, 0, 'unraced, the write goes through');
      changeAfterRead(d, '/api/v1/domains/web/sched', () => d.control.domains.setSched('web', { cap: 7 }));
      const raced = await d.run('sched-credit', '-d', 'web', '-w', '1024');
      assert.notEqual(raced.code, 0);
      assert.match(raced.stderr, /domain web has changed since version [0-9]+: it is at version [0-9]+ now .*read it again and retry/);
      assert.deepEqual(await d.json('sched-credit', '-d', 'web'), { weight: 512, cap: 7 }, 'the other client\'s change stands');
    } finally {
      await d.close();
    }
  });

  it('sched-credit -s and sdom share do the same', async () => {
    const d = await startCliDaemon();
    try {
      changeAfterRead(d, '/api/v1/scheduler', () => d.control.host.setScheduler({ tslice_ms: 5 }));
      const scheduler = await d.run('sched-credit', '-s', '-t', '10');
      assert.match(scheduler.stderr, /the scheduler has changed since version/);
      assert.equal((await d.json('sched-credit', '-s')).tslice_ms, 5);

      await d.json('create', 'a');
      await d.json('create', 'b');
      await d.run('sdom', 'add', 'a', 'b');
      changeAfterRead(d, '/api/v1/scheduling-domains/a', () => d.control.schedulingDomains.update('a', { master_share: 300 }));
      const share = await d.run('sdom', 'share', 'a', 'b', '9');
      assert.match(share.stderr, /the scheduling domain of a has changed/);
      assert.deepEqual((await d.json('sdom', 'list'))[0]?.members.map((m: { share: number }) => m.share), [256]);
    } finally {
      await d.close();
    }
  });
});
