/**
 * Check, persist, apply: a request that fails at the store changes nothing,
 * in the simulation too. Two hosts start alike; one gets the request with
 * the store failing, the other never sees it; both then run on, and must
 * stay identical to the last context switch (`trace_hash`).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Control } from '../../src/control/index.ts';
import { NS_PER_MS, NS_PER_S } from '../../src/hypervisor/index.ts';
import { createRandom, type Random } from '../../src/hypervisor/random.ts';
import { failsAtStore, observable, setupControl, type ControlSetup } from './helpers.ts';

const PCPUS = 2;
const duty = { type: 'duty', run_ms: 3, sleep_ms: 7 } as const;

/** A host with something of everything: a group with a live member, a paused, a halted and a pinned domain. */
function prelude({ host, control }: ControlSetup): void {
  control.domains.create({ name: 'm', vcpus: 2, max_vcpus: 3, cap: 150, workload: duty, start: true });
  control.domains.create({ name: 's', workload: { type: 'cpu' }, start: true });
  control.domains.create({ name: 'p', vcpus: 2, workload: duty, start: true });
  control.domains.create({ name: 'h', vcpus: 2 });
  control.domains.create({ name: 'x', vcpus: 2, workload: { type: 'cpu' }, start: true });
  control.schedulingDomains.addMember('m', { domain: 's', share: 512 });
  control.domains.setAffinity('x', 1, [1]);
  host.advanceTo(host.now_ns + 250 * NS_PER_MS);
  control.domains.power('p', 'pause');
  host.advanceTo(host.now_ns + 50 * NS_PER_MS + 12_345);
}

const REQUESTS: Readonly<Record<string, (control: Control) => unknown>> = {
  'create and start': (c) => c.domains.create({ name: 'n', vcpus: 2, workload: duty, start: true }),
  'create halted': (c) => c.domains.create({ name: 'n' }),
  'update a live domain (vCPUs, weight, cap, workload)': (c) => c.domains.update('x', { vcpus: 1, weight: 512, cap: 50, workload: duty }),
  'shrink max_vcpus of a live domain': (c) => c.domains.update('m', { max_vcpus: 2, vcpus: 1, cap: 100 }),
  'grow max_vcpus of a live domain': (c) => c.domains.update('x', { max_vcpus: 4, vcpus: 3 }),
  'rename': (c) => c.domains.update('x', { name: 'y' }),
  'delete a halted domain': (c) => c.domains.remove('h'),
  'start': (c) => c.domains.power('h', 'start'),
  'pause': (c) => c.domains.power('x', 'pause'),
  'unpause': (c) => c.domains.power('p', 'unpause'),
  'shut down a member': (c) => c.domains.power('s', 'shutdown'),
  'destroy a master': (c) => c.domains.power('m', 'destroy'),
  'destroy a paused domain': (c) => c.domains.power('p', 'destroy'),
  'set weight and cap': (c) => c.domains.setSched('m', { weight: 999, cap: 120 }),
  'set online vCPUs': (c) => c.domains.setOnlineVcpus('m', 1),
  'pin a vCPU': (c) => c.domains.setAffinity('m', 0, [0]),
  'create a scheduling domain': (c) => c.schedulingDomains.create({ master: 'x', members: [{ domain: 'p' }] }),
  "change the master's share": (c) => c.schedulingDomains.update('m', { master_share: 768 }),
  'dissolve a scheduling domain': (c) => c.schedulingDomains.remove('m'),
  'add a member': (c) => c.schedulingDomains.addMember('m', { domain: 'x', share: 100 }),
  'remove a member': (c) => c.schedulingDomains.removeMember('m', 's'),
  "change a member's share": (c) => c.schedulingDomains.setMemberShare('m', 's', { share: 7 }),
  'set the global scheduler parameters': (c) => c.host.setScheduler({ tslice_ms: 5, ratelimit_us: 0, accounting: 'sampled' }),
};

describe('a request that fails at the store leaves the simulation as if it had never been sent', () => {
  for (const [name, request] of Object.entries(REQUESTS)) {
    it(name, () => {
      const failed = setupControl(':memory:', PCPUS);
      const unsent = setupControl(':memory:', PCPUS);
      try {
        for (const setup of [failed, unsent]) prelude(setup);
        failed.store.failNext = true;
        failsAtStore(() => request(failed.control));
        assert.equal(observable(failed), observable(unsent), 'right after the failed request');
        for (const setup of [failed, unsent]) setup.host.advanceTo(setup.host.now_ns + 3 * NS_PER_S);
        assert.equal(failed.host.trace_hash, unsent.host.trace_hash);
        assert.equal(observable(failed), observable(unsent), 'after 3 simulated seconds');
        // The request itself was valid: it succeeds once the store works.
        request(failed.control);
        assert.notEqual(observable(failed), observable(unsent), 'the request changes something');
      } finally {
        failed.store.close();
        unsent.store.close();
      }
    });
  }
});

// --- random requests, 15% of them failing at the store ---

const pick = <T>(random: Random, items: readonly T[]): T => items[Math.floor(random.next() * items.length)]!;
const between = (random: Random, min: number, max: number): number => min + Math.floor(random.next() * (max - min + 1));
const NAMES = ['a', 'b', 'c', 'd', 'e'];

/** One random control request (many are refused with a 4xx, on both hosts alike); every choice is drawn now. */
function randomRequest(random: Random): (control: Control) => unknown {
  const name = pick(random, NAMES);
  const other = pick(random, NAMES);
  const workload = pick(random, [{ type: 'cpu' }, { type: 'idle' }, { type: 'duty', run_ms: between(random, 1, 20), sleep_ms: between(random, 1, 20) }] as const);
  const vcpus = between(random, 1, 3);
  const max_vcpus = between(random, vcpus, 4);
  const weight = between(random, 1, 1000);
  const cap = pick(random, [0, 30, 50, 100, 250]);
  const share = between(random, 1, 1000);
  const start = random.next() < 0.7;
  const action = pick(random, ['start', 'pause', 'unpause', 'shutdown', 'destroy'] as const);
  const vcpu = between(random, 0, 2);
  const pcpus = random.next() < 0.5 ? 'all' : [between(random, 0, PCPUS - 1)];
  const tslice_ms = between(random, 1, 50);
  const accounting = pick(random, ['exact', 'sampled'] as const);
  return pick(random, [
    (c) => c.domains.create({ name, vcpus, max_vcpus, workload, start }),
    (c) => c.domains.update(name, { vcpus, max_vcpus, workload }),
    (c) => c.domains.update(name, { weight, cap }),
    (c) => c.domains.remove(name),
    (c) => c.domains.power(name, action),
    (c) => c.domains.power(name, action),
    (c) => c.domains.setSched(name, { weight, cap }),
    (c) => c.domains.setOnlineVcpus(name, vcpus),
    (c) => c.domains.setAffinity(name, vcpu, pcpus),
    (c) => c.schedulingDomains.addMember(name, { domain: other, share }),
    (c) => c.schedulingDomains.removeMember(name, other),
    (c) => c.schedulingDomains.setMemberShare(name, other, { share }),
    (c) => c.schedulingDomains.update(name, { master_share: share }),
    (c) => c.schedulingDomains.remove(name),
    (c) => c.host.setScheduler({ tslice_ms, accounting }),
  ] as const satisfies readonly ((control: Control) => unknown)[]);
}

const outcome = (request: () => unknown): string => {
  try {
    request();
    return 'ok';
  } catch (error) {
    return (error as { code?: string }).code ?? String(error);
  }
};

describe('random requests with store failures', () => {
  for (const seed of [1, 2, 3]) {
    it(`seed ${seed}: a host that saw the failed requests runs exactly like one that never did`, () => {
      const random = createRandom(seed);
      const failed = setupControl(':memory:', PCPUS, seed);
      const unsent = setupControl(':memory:', PCPUS, seed);
      let storeFailures = 0;
      try {
        for (let step = 0; step < 300; step++) {
          const context = `seed ${seed}, step ${step}`;
          if (random.next() < 0.3) {
            const by_ns = between(random, 0, 50) * NS_PER_MS + between(random, 0, 999);
            for (const setup of [failed, unsent]) setup.host.advanceTo(setup.host.now_ns + by_ns);
            continue;
          }
          const request = randomRequest(random);
          failed.store.failNext = random.next() < 0.15;
          const result = outcome(() => request(failed.control));
          if (failed.store.failNext) {
            // Refused before it reached the store: the other host must refuse it too.
            failed.store.failNext = false;
            assert.equal(outcome(() => request(unsent.control)), result, context);
          } else if (result === 'INTERNAL') {
            storeFailures++;
          } else {
            assert.equal(outcome(() => request(unsent.control)), result, context);
          }
          assert.equal(failed.host.trace_hash, unsent.host.trace_hash, context);
        }
        assert.ok(storeFailures >= 5, `only ${storeFailures} requests failed at the store`);
        assert.equal(observable(failed), observable(unsent));
      } finally {
        failed.store.close();
        unsent.store.close();
      }
    });
  }
});
