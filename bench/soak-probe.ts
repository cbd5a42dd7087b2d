/**
 * bench:soak's /healthz probe, in a worker thread of its own: timed on an
 * event loop that nothing else uses, its figure is the daemon's answer time,
 * not the time the answer waited behind the load generator's own callbacks.
 * bench:soak leaves this thread at the normal policy and nice 0 when it demotes
 * the load's threads to SCHED_IDLE, so the probe never waits for them for CPU 0,
 * and shares a CPU with the daemon on equal terms. (At nice -10, the probe's
 * bursts of up to 7 ms held the daemon's main thread off CPU 0: `perf sched`.)
 * workerData: { url, every_ms }. Posts { tid } (its Linux thread id, so
 * bench:soak can leave it out), then probes for the { duration_ms } it is sent
 * and posts { latencies_ms, failures }.
 */
import { once } from 'node:events';
import { readlinkSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { parentPort, workerData } from 'node:worker_threads';

const { url, every_ms } = workerData as { url: string; every_ms: number };

/** This thread's id on Linux (/proc/thread-self → /proc/<pid>/task/<tid>), else undefined. */
function linuxThreadId(): number | undefined {
  try {
    return Number(readlinkSync('/proc/thread-self').split('/').at(-1));
  } catch {
    return undefined;
  }
}

parentPort!.postMessage({ tid: linuxThreadId() });
const [{ duration_ms }] = (await once(parentPort!, 'message')) as [{ duration_ms: number }];
const latencies_ms: number[] = [];
const failures: string[] = [];
const deadline_ms = performance.now() + duration_ms;
while (performance.now() < deadline_ms) {
  const started_ms = performance.now();
  try {
    const reply = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(10_000) });
    await reply.text();
    if (!reply.ok) failures.push(`GET /healthz → ${reply.status}`);
  } catch (error) {
    failures.push(`GET /healthz → ${(error as Error).message}`);
  }
  latencies_ms.push(performance.now() - started_ms);
  await sleep(every_ms);
}
parentPort!.postMessage({ latencies_ms, failures });
