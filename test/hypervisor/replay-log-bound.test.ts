/** The replay log is bounded: past REPLAY_LOG_MAX_ENTRIES changes it stops and says so, rather than grow without end. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { REPLAY_LOG_MAX_ENTRIES } from '../../src/hypervisor/index.ts';
import { createDomain, must, newHost } from './helpers.ts';

describe('replay log bound', () => {
  it('keeps every change up to the limit, then stops and frees what it held', () => {
    const host = newHost(1);
    createDomain(host, 1);
    // Domain-0's creation is the host's own; domain 1's is the first entry.
    for (let i = 1; i < REPLAY_LOG_MAX_ENTRIES; i++) must(host, { op: 'scheduler_op', domid: 1, cmd: 'putinfo', weight: 1 + (i % 1000), cap: 0 });
    assert.equal(host.replayLog().entries.length, REPLAY_LOG_MAX_ENTRIES);
    assert.equal(host.replay_log_complete, true);
    must(host, { op: 'scheduler_op', domid: 1, cmd: 'putinfo', weight: 7, cap: 0 });
    assert.equal(host.replay_log_complete, false);
    assert.equal(host.replayLog().entries.length, 0);
  });
});
