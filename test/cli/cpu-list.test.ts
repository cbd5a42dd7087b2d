import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatCpuList, parseCpuList, resolveCpuList } from '../../src/cli/cpu-list.ts';

const resolve = (text: string, pcpus = 8) => resolveCpuList(parseCpuList(text), pcpus);

describe("xl's CPU list syntax", () => {
  it('reads all, single CPUs, ranges and exclusions', () => {
    assert.equal(resolve('all'), 'all');
    assert.deepEqual(resolve('3'), [3]);
    assert.deepEqual(resolve('0-3,6'), [0, 1, 2, 3, 6]);
    assert.deepEqual(resolve('0-3,^2'), [0, 1, 3]);
    assert.deepEqual(resolve('^2', 4), [0, 1, 3]);
    assert.deepEqual(resolve('all,^0-1', 4), [2, 3]);
    assert.deepEqual(resolve('6,1,1'), [1, 6]);
  });

  it('refuses what xl would not take, naming the part', () => {
    assert.throws(() => parseCpuList('1-x'), /"1-x" is not a CPU/);
    assert.throws(() => parseCpuList(''), /"" is not a CPU/);
    assert.throws(() => parseCpuList('3-1'), /"3-1" is a range that runs backwards/);
    assert.throws(() => resolve('0,^0'), /leaves no CPU/);
  });

  it('prints affinities as xl does', () => {
    assert.equal(formatCpuList('all'), 'all');
    assert.equal(formatCpuList([6, 0, 1, 2, 3]), '0-3,6');
    assert.equal(formatCpuList([1, 3, 5]), '1,3,5');
  });
});
