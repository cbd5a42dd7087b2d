/**
 * bench:soak's /healthz probe, in a worker thread of its own: timed on an
 * event loop that nothing else uses, its figure is the daemon's answer time,
 * not the time the answer waited behind the load generator's own callbacks.
 * It runs at nice -10, ahead of the load on the CPU they share, as a monitor
 * elsewhere would not queue behind it (on Linux, setpriority of pid 0 is this
 * thread alone): at nice 0, half of the p99 was the probe waiting for CPU 0
 * (p99 9.5 and 10.7 ms at -10, 15 to 22 at 0, in 1.5-minute runs). Raising
 * priority needs root or CAP_SYS_NICE; the nice it ran at is posted back.
 * workerData: { url, duration_ms, every_ms }; posts { latencies_ms, failures, nice } when done.
 */
import { getPriority, setPriority } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { parentPort, workerData } from 'node:worker_threads';

const PROBE_NICE = -10;
const { url, duration_ms, every_ms } = workerData as { url: string; duration_ms: number; every_ms: number };
try {
  setPriority(PROBE_NICE);
} catch {
  // Not permitted (no root or CAP_SYS_NICE): the nice posted back says so.
}
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
parentPort!.postMessage({ latencies_ms, failures, nice: getPriority() });
