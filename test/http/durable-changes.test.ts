import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import Fastify, { type FastifyInstance } from 'fastify';
import type { Control } from '../../src/control/index.ts';
import { acknowledgeWhenDurable } from '../../src/http/durable-changes.ts';
import { installErrorHandlers } from '../../src/http/error-handler.ts';

/** An app with one change and one read, over a store whose sync is finished by hand. */
async function appOverManualDisk(): Promise<{ app: FastifyInstance; finish(error?: Error): void; waiting(): number }> {
  const pending: { resolve(): void; reject(error: Error): void }[] = [];
  const control = { store: { synced: () => new Promise<void>((resolve, reject) => pending.push({ resolve, reject })), health: () => ({ busy: false, busy_errors_total: 0 }) } };
  const app = Fastify();
  installErrorHandlers(app);
  acknowledgeWhenDurable(app, control as unknown as Control);
  app.post('/change', async (_request, reply) => reply.code(201).send({ changed: true }));
  app.get('/read', async () => ({ read: true }));
  app.post('/refused', async (_request, reply) => reply.code(409).send({ code: 'CONFLICT' }));
  await app.ready();
  return {
    app,
    waiting: () => pending.length,
    finish(error) {
      const next = pending.shift();
      assert.ok(next !== undefined, 'nobody waits for the disk');
      if (error === undefined) next.resolve();
      else next.reject(error);
    },
  };
}

const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('a change is acknowledged once it is on disk', () => {
  it('holds the answer to a change until the store has synced it', async () => {
    const { app, finish, waiting } = await appOverManualDisk();
    let answered = false;
    const reply = app.inject({ method: 'POST', url: '/change' }).then((r) => {
      answered = true;
      return r;
    });
    for (let i = 0; i < 5; i++) await tick();
    assert.equal(answered, false);
    assert.equal(waiting(), 1);
    finish();
    const response = await reply;
    assert.equal(response.statusCode, 201);
    assert.deepEqual(response.json(), { changed: true });
  });

  it('answers reads and refused changes without waiting for the disk', async () => {
    const { app, waiting } = await appOverManualDisk();
    assert.equal((await app.inject({ method: 'GET', url: '/read' })).statusCode, 200);
    assert.equal((await app.inject({ method: 'POST', url: '/refused' })).statusCode, 409);
    assert.equal(waiting(), 0);
  });

  it('answers 500 STORE_FAILED when the disk fails', async () => {
    const { app, finish } = await appOverManualDisk();
    const reply = app.inject({ method: 'POST', url: '/change' });
    await tick();
    finish(new Error('EIO: i/o error, fsync'));
    const response = await reply;
    assert.equal(response.statusCode, 500);
    const body = response.json<{ code: string; message: string }>();
    assert.equal(body.code, 'STORE_FAILED');
    assert.match(body.message, /EIO/);
  });
});
