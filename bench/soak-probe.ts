/**
 * bench:soak's /healthz probe, in a worker thread of its own: timed on an
 * event loop that nothing else uses, its figure is the daemon's answer time,
 * not the time the answer waited behind the load generator's own callbacks.
 * workerData: { url, duration_ms, every_ms }; posts { latencies_ms, failures } when done.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { parentPort, workerData } from 'node:worker_threads';

const { url, duration_ms, every_ms } = workerData as { url: string; duration_ms: number; every_ms: number };
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
