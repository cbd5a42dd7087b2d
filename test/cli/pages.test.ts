import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import { describe, it } from 'node:test';
import { startCliDaemon } from './helpers.ts';

describe('the tool on a large host', () => {
  it('lists its domains a page at a time, and gets every one', async () => {
    const d = await startCliDaemon();
    try {
      for (let i = 0; i < 1200; i++) d.control.domains.create({ name: `g${i}` });
      const urls: string[] = [];
      d.app.server.prependListener('request', (request: IncomingMessage) => urls.push(String(request.url)));
      const listed = await d.json('list');
      assert.equal(listed.length, 1201);
      assert.deepEqual(listed.map((x: { id: number }) => x.id), Array.from({ length: 1201 }, (_, i) => i));
      const pages = urls.filter((url) => url.startsWith('/api/v1/domains?'));
      assert.equal(pages.length, 3, '500 a page');
      assert.ok(pages.every((url) => url.includes('limit=500')));
      assert.ok(pages.slice(1).every((url) => url.includes('cursor=')));
    } finally {
      await d.close();
    }
  });
});
