import assert from 'node:assert/strict';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { describe, it } from 'node:test';
import { startCliDaemon } from './helpers.ts';

describe('the tool\'s POSTs', () => {
  it('carry an Idempotency-Key, so a POST whose answer is lost is retried and done once', async () => {
    const d = await startCliDaemon();
    try {
      const keys: string[] = [];
      let dropped = false;
      d.app.server.prependListener('request', (request: IncomingMessage, response: ServerResponse) => {
        if (request.method !== 'POST') return;
        keys.push(String(request.headers['idempotency-key']));
        if (dropped) return;
        dropped = true;
        // The daemon does the advance; the connection drops before its answer is written.
        response.writeHead = () => {
          request.socket.destroy();
          return response;
        };
      });
      const run = await d.run('--json', 'clock', '--advance', '100');
      assert.equal(run.code, 0, run.stderr);
      assert.equal(keys.length, 2, 'sent twice');
      assert.match(keys[0]!, /^[0-9a-f-]{36}$/);
      assert.equal(keys[1], keys[0], 'with the same key');
      assert.equal(JSON.parse(run.stdout).now_ns, 100_000_000);
      assert.equal((await d.request('GET', '/api/v1/host')).body.clock.now_ns, 100_000_000, 'advanced once');
      await d.run('create', 'web');
      assert.notEqual(keys[2], keys[0], 'a new request, a new key');
    } finally {
      await d.close();
    }
  });
});
