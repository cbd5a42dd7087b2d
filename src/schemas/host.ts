/** The host, its pCPUs, the simulated clock and the scheduler-wide parameters. */
import { Type } from '@sinclair/typebox';
import { credit, credit2, MAX_SEED, SCHED_PROFILE_NAMES } from '../hypervisor/index.ts';
import { MAX_ADVANCE_MS, MAX_SPEED } from '../vocabulary/clock.ts';
import { NS_PER_MS } from '../vocabulary/units.ts';
import { Nanoseconds, Nullable, ref } from './common.ts';

export const Clock = Type.Object(
  {
    now_ns: Nanoseconds('Simulated time since the host booted.'),
    speed: Type.Number({ minimum: 0, maximum: MAX_SPEED, description: '0 = frozen, 1 = real time, up to 1000.' }),
    skipped_ns: Nanoseconds('Simulated time given up after stalls of the real-time loop, in total.'),
    running: Type.Boolean({ description: 'Whether simulated time moves by itself (the real-time loop runs and the speed is above 0).' }),
    loop: Type.Object(
      {
        running: Type.Boolean({ description: 'Whether its timer is armed: while it runs at a speed above 0 (a frozen clock is not ticked).' }),
        period_ms: Type.Integer({
          minimum: 0,
          description: 'How often it ticks, ms of real time: once per 100 ms of simulated time, every 100 ms at speed 1 and below down to every 10 ms at speed 10 and above; 0 while its timer is not armed. Reads advance the simulation to the current time first, so the period leaves nothing they show stale.',
        }),
        ticks: Type.Integer({ minimum: 0, description: 'Its ticks so far.' }),
        late_ticks: Type.Integer({ minimum: 0, description: 'Deadlines passed before it ran (folded into later ticks).' }),
        last_late_ms: Type.Number({ minimum: 0, description: 'How late its last tick fired.' }),
        max_late_ms: Type.Number({ minimum: 0, description: 'The latest any tick fired (a long advance holds the loop up while it computes).' }),
      },
      {
        additionalProperties: false,
        description: "The real-time loop that moves simulated time: wall-clock figures of the daemon's process, not the scheduler's ticks.",
      },
    ),
  },
  { $id: 'Clock', additionalProperties: false },
);

export const HostInfo = Type.Object(
  {
    pcpus: Type.Integer({ minimum: 1 }),
    scheduler: Type.String({ examples: ['credit'], description: "Pool-0's scheduler, the one the host booted with (NEMESIS_SCHED, --sched)." }),
    topology: Type.Object(
      { sockets: Type.Integer({ minimum: 1 }), cores: Type.Integer({ minimum: 1 }), threads: Type.Integer({ minimum: 1 }) },
      { additionalProperties: false, description: 'sockets × cores per socket × threads per core (NEMESIS_TOPOLOGY, --topology); pCPU id = (socket × cores + core) × threads + thread.' },
    ),
    credit2_runqueue: Type.Union(credit2.CREDIT2_RUNQUEUE_ARRANGEMENTS.map((name) => Type.Literal(name)), {
      description:
        "The runqueue arrangement of a credit2 Pool-0 at start and of credit2 pools created without one (NEMESIS_CREDIT2_RUNQUEUE, --credit2-runqueue; Xen's credit2_runqueue=), at most 16 pCPUs a runqueue; each pool's own is its scheduler's runqueue.",
    }),
    free_pcpus: Type.Array(Type.Integer({ minimum: 0 }), { description: 'pCPUs in no cpupool (removed from one and not added to another).' }),
    clock: ref(Clock),
    version: Type.String(),
    seed: Type.Integer({
      minimum: 0,
      maximum: MAX_SEED,
      description: 'Seeds every random choice of the simulation (NEMESIS_SEED, --seed): the same seed, requests and advances on a frozen clock give the same run.',
    }),
    trace_hash: Type.String({
      pattern: '^[0-9a-f]{16}$',
      description: 'A hash of every scheduling decision since the host booted: the same requests at the same simulated times give the same hash.',
    }),
  },
  { $id: 'Host', additionalProperties: false },
);

export const Pcpu = Type.Object(
  {
    id: Type.Integer({ minimum: 0 }),
    current: Nullable(
      Type.Object(
        { domain: Type.Integer({ minimum: 0 }), vcpu: Type.Integer({ minimum: 0 }) },
        { additionalProperties: false, description: 'The vCPU running there; null when idle.' },
      ),
    ),
    busy_ns: Nanoseconds('Time a guest vCPU ran here.'),
    idle_ns: Nanoseconds('Time it idled.'),
  },
  { $id: 'Pcpu', additionalProperties: false },
);

export const PcpuList = Type.Array(ref(Pcpu), { $id: 'PcpuList' });

export const SetClockRequest = Type.Object(
  { speed: Type.Number({ minimum: 0, maximum: MAX_SPEED, description: '0 = frozen, 1 = real time, up to 1000.' }) },
  { $id: 'SetClockRequest', additionalProperties: false },
);

export const AdvanceClockRequest = Type.Object(
  {
    ms: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_ADVANCE_MS, description: 'Simulated ms to run forward.' })),
    ns: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_ADVANCE_MS * NS_PER_MS, description: 'Simulated ns to run forward (any instant is reachable).' })),
  },
  { $id: 'AdvanceClockRequest', additionalProperties: false, minProperties: 1, maxProperties: 1, description: 'Exactly one of `ms` and `ns`.' },
);

const Accounting = Type.Union([Type.Literal('exact'), Type.Literal('sampled')], {
  description: 'credit only. exact: charge time actually run (default); sampled: Xen 3.1\'s charge-at-tick.',
});
const TsliceMs = Type.Integer({ minimum: credit.MIN_TSLICE_MS, maximum: credit.MAX_TSLICE_MS, description: 'credit only: timeslice, ms (default 30).' });
const RatelimitUs = Type.Integer({
  minimum: 0,
  maximum: credit.MAX_RATELIMIT_US,
  description: '0 (off) or 100..500000, not above the timeslice (default 1000); credit2: 100..500000 (default 1000).',
});

const profileLiterals = SCHED_PROFILE_NAMES.map((name) => Type.Literal(name));
const credit2ProfileLiterals = credit2.CREDIT2_PROFILE_NAMES.map((name) => Type.Literal(name));
const PROFILE_TEXT =
  "credit's xen-3.1: sampled accounting, ratelimit_us 0, tslice_ms 30 (Xen 3.1's rules); xen-4.x: exact accounting, ratelimit_us 1000, tslice_ms 30 (the defaults). " +
  "credit2's xen-4.21: ratelimit_us 1000, inflight_credit true (the default); xen-4.14: the same without the descheduled vCPU's credit in the runtime rule (Xen 4.14-4.20).";
const CREDIT_ONLY = 'credit only.';
const InflightCredit = Type.Boolean({
  description: "credit2 only: csched2_runtime() counts the just-descheduled vCPU's credit (Xen 4.21; false: Xen 4.14-4.20).",
});

const Credit2Runqueue = Type.Union(credit2.CREDIT2_RUNQUEUE_ARRANGEMENTS.map((name) => Type.Literal(name)), {
  description:
    "credit2 only: how the pool's pCPUs are grouped into runqueues (per cpu, core, socket, node as socket, or all), at most 16 pCPUs a runqueue. A change starts the pool's policy afresh over the new runqueues (as a pCPU added or removed does); credits start again at 10 ms.",
});

export const Scheduler = Type.Object(
  {
    name: Type.Union([Type.Literal('credit'), Type.Literal('credit2')], { description: 'The policy: its own parameters follow (credit: tick_ms, tslice_ms, accounting; credit2: inflight_credit).' }),
    profile: Type.Union([...profileLiterals, ...credit2ProfileLiterals, Type.Literal('custom')], {
      description: `The profile of its policy the parameters are exactly, or custom. ${PROFILE_TEXT}`,
    }),
    tick_ms: Type.Optional(Type.Number({ description: `The tick period (read-only); ${CREDIT_ONLY}` })),
    tslice_ms: Type.Optional(TsliceMs),
    ratelimit_us: RatelimitUs,
    accounting: Type.Optional(Accounting),
    inflight_credit: Type.Optional(InflightCredit),
    runqueue: Type.Optional(Credit2Runqueue),
  },
  { $id: 'Scheduler', additionalProperties: false },
);

export const SetSchedulerRequest = Type.Object(
  {
    profile: Type.Optional(
      Type.Union([...profileLiterals, ...credit2ProfileLiterals], { description: `Set all the policy's parameters at once (one of its own profiles); any given beside it override it. ${PROFILE_TEXT}` }),
    ),
    tslice_ms: Type.Optional(TsliceMs),
    ratelimit_us: Type.Optional(RatelimitUs),
    accounting: Type.Optional(Accounting),
    inflight_credit: Type.Optional(InflightCredit),
    runqueue: Type.Optional(Credit2Runqueue),
  },
  { $id: 'SetSchedulerRequest', additionalProperties: false, minProperties: 1, description: "Only the parameters of the pool's policy: the others are refused naming them." },
);

export const Health = Type.Object(
  {
    status: Type.Union([Type.Literal('ok'), Type.Literal('degraded')], {
      description: 'degraded: the daemon answers, but a part of it does not work now (see `store`).',
    }),
    now_ns: Nanoseconds('Simulated time.'),
    store: Type.Union([Type.Literal('ok'), Type.Literal('busy'), Type.Literal('full'), Type.Literal('io_error')], {
      description:
        'Whether changes can be stored now, as the last write found: busy, another process holds the database lock (changes answer 503 STORE_BUSY until it is released); ' +
        'full, the disk holding the database is full (507 STORE_FULL until space is freed); io_error, the database file or its disk failed (500 STORE_IO_ERROR). ' +
        'It is ok again from the first change stored.',
    }),
  },
  { $id: 'Health', additionalProperties: false },
);
