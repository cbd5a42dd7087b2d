/**
 * `GET /host/usage?domains=…`: a client showing a page of a large host's
 * domains reads only their rows; the shares themselves are the whole host's.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { build } from '../helpers.ts';

describe('the usage report for some domains', () => {
  it('domains=1,3 keeps those rows, in the report and in each step of the series, with the same figures as the whole report', async (t) => {
    const d = await build(t, { pcpus: 2 });
    for (const name of ['a', 'b', 'c']) assert.equal((await d.request('POST', '/api/v1/domains', { name, start: true })).status, 201);
    assert.equal((await d.request('POST', '/api/v1/host/clock/advance', { ms: 3000 })).status, 200);
    const whole = await d.request('GET', '/api/v1/host/usage?window_ms=3000&step_ms=1000');
    const some = await d.request('GET', '/api/v1/host/usage?window_ms=3000&step_ms=1000&domains=1,3');
    assert.equal(some.status, 200);
    const ids = (rows: { id: number }[]): number[] => rows.map((row) => row.id);
    assert.deepEqual(ids(whole.body.domains), [0, 1, 2, 3]);
    assert.deepEqual(some.body.domains, whole.body.domains.filter((row: { id: number }) => row.id === 1 || row.id === 3));
    // Three hogs on two pCPUs: each gets two thirds of one, whichever rows are asked for.
    for (const row of some.body.domains) assert.ok(Math.abs(row.observed_pct - 200 / 3) < 2, `${row.name}: ${row.observed_pct}`);
    assert.equal(some.body.series.length, 3);
    for (const [i, step] of some.body.series.entries()) {
      assert.deepEqual(ids(step.domains), [1, 3]);
      assert.deepEqual(step.domains, whole.body.series[i].domains.filter((row: { id: number }) => row.id !== 0 && row.id !== 2));
      assert.deepEqual(step.pcpus, whole.body.series[i].pcpus);
    }
    assert.deepEqual(some.body.pcpus, whole.body.pcpus);
    const noSeries = await d.request('GET', '/api/v1/host/usage?window_ms=3000&domains=2');
    assert.deepEqual([ids(noSeries.body.domains), noSeries.body.series], [[2], undefined]);
    for (const query of ['domains=', 'domains=a', 'domains=1,,2']) {
      const refused = await d.request('GET', `/api/v1/host/usage?${query}`);
      assert.deepEqual([refused.status, refused.body.code], [400, 'INVALID_ARGUMENT'], query);
    }
  });
});
