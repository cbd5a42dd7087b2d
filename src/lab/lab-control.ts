/**
 * The lab's part of the daemon's API: the run so far as a replay log, and
 * what-if previews. A what-if copies the live host's state, its configuration
 * and its runtime figures at one instant and hands them to a runner (a worker
 * thread, what-if-worker.ts), which applies the changes as requests of this
 * API to the copy and runs it ahead; the live host is only read.
 */
import type { LabControl, LabSource, WhatIfChangeRequest, WhatIfRunner } from '../control/index.ts';
import { NS_PER_MS, REPLAY_LOG_MAX_ENTRIES } from '../hypervisor/index.ts';
import { MAX_WHAT_IF_VCPU_MS } from '../schemas/lab.ts';
import { apiError, ERROR_CATALOGUE, invalidArgument, type ErrorCode } from '../vocabulary/errors.ts';

/** `runner` runs the copies; without one, a what-if answers NOT_SUPPORTED. */
export function createLabControl(source: LabSource, runner: WhatIfRunner | undefined): LabControl {
  const { host, clock } = source;
  const running = new Set<string>();

  /** Before copying: the live domains' vCPUs, for the look-ahead and any advance among the changes, once per policy. */
  const checkSize = (changes: readonly WhatIfChangeRequest[], ms: number, runs: number): void => {
    let vcpus = 0;
    for (const domain of source.domains()) if (domain.state !== 'halted') vcpus += domain.max_vcpus;
    checkWhatIfSize(vcpus, ms + advancedMs(changes), runs);
  };

  return {
    replayLog() {
      if (!host.replay_log_complete) {
        throw apiError('REPLAY_LOG_FULL', `this run has made more than ${REPLAY_LOG_MAX_ENTRIES} changes, more than the replay log keeps; a restarted daemon starts a new log`);
      }
      clock.sync();
      const log = host.replayLog();
      return { ...log, entries: [...log.entries] };
    },

    async whatIf(spec, client) {
      if (runner === undefined) throw apiError('NOT_SUPPORTED', 'this daemon runs no what-if copies');
      if (running.has(client)) throw apiError('WHAT_IF_BUSY', `a what-if from ${client} is still running: one at a time per client`);
      if (spec.policies !== undefined && spec.trace === true) {
        throw invalidArgument('trace', 'a what-if under `policies` records no trace: ask for it on a what-if without `policies`');
      }
      checkSize(spec.changes, spec.ms, spec.policies?.length ?? 1);
      clock.sync();
      running.add(client);
      try {
        const outcome = await runner.run({
          snapshot: host.snapshot(),
          database: source.database(),
          endedGroupCpuNs: [...source.endedGroupCpuNs],
          pcpus: source.pcpus,
          seed: source.seed,
          version: source.version,
          ms: spec.ms,
          changes: spec.changes,
          trace: spec.trace === true,
          ...(spec.policies === undefined ? {} : { policies: spec.policies }),
        });
        if (outcome.ok) return outcome.trace === undefined ? outcome.report : { ...outcome.report, trace_id: source.keepTrace(outcome.trace.trace, outcome.trace.names) };
        const { change_index, error } = outcome;
        const code: ErrorCode = error.code in ERROR_CATALOGUE ? (error.code as ErrorCode) : 'INTERNAL';
        const under = outcome.policy === undefined ? '' : `under ${outcome.policy}: `;
        if (change_index === null) throw apiError(code, `${under}${error.message}`, error.field === undefined ? {} : { field: error.field });
        const change = spec.changes[change_index]!;
        throw apiError(code, `${under}changes[${change_index}] (${change.method} ${change.path}): ${error.message}`, {
          change_index,
          ...(error.field === undefined ? {} : { field: error.field }),
          ...(error.expected === undefined ? {} : { expected: error.expected }),
          ...(error.actual === undefined ? {} : { actual: error.actual }),
        });
      } finally {
        running.delete(client);
      }
    },
  };
}

/**
 * The work a what-if may ask for: vCPUs × simulated ms over both copies, under each
 * of `runs` policies. Checked before copying (live vCPUs) and again on the copy once
 * changed (its own vCPUs).
 */
export function checkWhatIfSize(vcpus: number, ms: number, runs = 1): void {
  const work = 2 * runs * vcpus * ms;
  if (work > MAX_WHAT_IF_VCPU_MS) {
    const copies = runs === 1 ? '2 copies' : `2 copies × ${runs} policies`;
    throw apiError('WHAT_IF_TOO_LARGE', `a what-if may simulate at most ${MAX_WHAT_IF_VCPU_MS} vCPU-ms (vCPUs of live domains × ms × ${copies}); ${vcpus} vCPUs for ${ms} ms is ${work}: ask for fewer ms`, { field: 'ms' });
  }
}

/** Simulated ms the changes themselves advance the copy by (POST /host/clock/advance among them). */
function advancedMs(changes: readonly WhatIfChangeRequest[]): number {
  let ms = 0;
  for (const change of changes) {
    if (change.method !== 'POST' || change.path !== '/host/clock/advance') continue;
    const body = change.body as { ms?: unknown; ns?: unknown } | null | undefined;
    if (typeof body?.ms === 'number') ms += body.ms;
    else if (typeof body?.ns === 'number') ms += body.ns / NS_PER_MS;
  }
  return ms;
}
