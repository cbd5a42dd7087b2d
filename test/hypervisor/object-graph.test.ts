/** The object-graph copy behind host snapshots: shared objects, cycles, Maps keyed by objects, typed arrays, classes; and what it refuses. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { classesOf, decodeGraph, encodeGraph } from '../../src/hypervisor/object-graph.ts';

class Counter {
  count = 0;
  bump(): number {
    return ++this.count;
  }
}

describe('object graph copies', () => {
  it('keep sharing, cycles, object-keyed Maps, Sets, typed arrays and classes, through a structured clone', () => {
    const shared = { name: 'shared', mask: new Uint8Array([1, 0, 1]) };
    const root: Record<string, unknown> = { a: shared, b: [shared, Infinity, -0, undefined], map: new Map([[shared, 5]]), set: new Set([shared]), counter: new Counter() };
    root['self'] = root;
    (root['counter'] as Counter).bump();
    const graph = structuredClone(encodeGraph(root, new Map()));
    const copy = decodeGraph<typeof root>(graph, classesOf(root), () => assert.fail('nothing is rebuilt'));
    const a = copy['a'] as typeof shared;
    assert.equal(copy['self'], copy);
    assert.equal((copy['b'] as unknown[])[0], a);
    assert.deepEqual((copy['b'] as unknown[]).slice(1), [Infinity, -0, undefined]);
    assert.equal((copy['map'] as Map<unknown, number>).get(a), 5);
    assert.ok((copy['set'] as Set<unknown>).has(a));
    assert.deepEqual([...a.mask], [1, 0, 1]);
    assert.notEqual(a.mask, shared.mask);
    assert.ok(copy['counter'] instanceof Counter);
    assert.equal((copy['counter'] as Counter).bump(), 2);
    assert.equal((root['counter'] as Counter).count, 1);
  });

  it('refuses a function, naming where it is; rebuilds the objects it is told to, from the decoded root', () => {
    const hook = { call: () => 1 };
    assert.throws(() => encodeGraph({ engine: { hooks: [hook] } }, new Map()), /cannot copy a function at root\.engine\.hooks\.0\.call/);
    const root = { pcpus: 3, context: hook, also: hook };
    const copy = decodeGraph<typeof root>(encodeGraph(root, new Map([[hook, 'context']])), new Map(), (name, decoded) => ({ call: () => decoded.pcpus, name }));
    assert.equal(copy.context.call(), 3);
    assert.equal(copy.also, copy.context);
  });

  it('refuses a class the reader does not know', () => {
    assert.throws(() => decodeGraph(encodeGraph({ counter: new Counter() }, new Map()), new Map(), () => ({})), /class Counter, which a fresh host does not have/);
  });
});
