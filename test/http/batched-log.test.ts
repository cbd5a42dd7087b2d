import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { batchedLog, LOG_BATCH_CHARS, LOG_FLUSH_MS } from '../../src/http/logging.ts';

/** A log writing to an array of writes, on mocked timers. */
function recorded(): { writes: string[]; log: ReturnType<typeof batchedLog> } {
  const writes: string[] = [];
  return { writes, log: batchedLog({ write: (chunk: string) => writes.push(chunk) > 0 }) };
}

describe('the batched log', () => {
  it(`write the lines gathered in one write, ${LOG_FLUSH_MS} ms after the first of them`, (t) => {
    t.mock.timers.enable({ apis: ['setTimeout'] });
    const { writes, log } = recorded();
    log.write('a\n');
    t.mock.timers.tick(LOG_FLUSH_MS - 1);
    log.write('b\n');
    assert.deepEqual(writes, []);
    t.mock.timers.tick(1);
    assert.deepEqual(writes, ['a\nb\n']);
    log.write('c\n');
    t.mock.timers.tick(LOG_FLUSH_MS);
    assert.deepEqual(writes, ['a\nb\n', 'c\n']);
    t.mock.timers.tick(10 * LOG_FLUSH_MS);
    assert.equal(writes.length, 2, 'nothing gathered, nothing written');
  });

  it(`write at once when ${LOG_BATCH_CHARS} characters are gathered, and on flush()`, (t) => {
    t.mock.timers.enable({ apis: ['setTimeout'] });
    const { writes, log } = recorded();
    const line = `${'x'.repeat(1023)}\n`;
    for (let i = 0; i < LOG_BATCH_CHARS / line.length; i++) log.write(line);
    assert.deepEqual(writes, [line.repeat(LOG_BATCH_CHARS / line.length)]);
    log.write('last\n');
    log.flush();
    assert.deepEqual(writes.slice(1), ['last\n']);
    t.mock.timers.tick(LOG_FLUSH_MS);
    assert.equal(writes.length, 2, 'the flush cancelled the timer');
  });
});
