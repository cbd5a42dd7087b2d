#!/usr/bin/env -S node --max-semi-space-size=16 --max-old-space-size=1024 --no-parallel-scavenge --v8-pool-size=1
/**
 * The `nemesisd` command. It checks the Node.js version before anything else is
 * loaded: on an older Node the native SQLite module crashes rather than failing
 * with a message.
 *
 * Run as a program (`npm start`, the image, a systemd unit), it sizes V8's heap
 * for a daemon that runs for months under steady load, with the flags above.
 * Left to itself V8 doubles the young generation up to 64 MB semi-spaces, and
 * with a heap limit of a quarter of the machine's memory it lets the old
 * generation grow to about four times the live data before a full collection;
 * pages once used stay resident. Under bench:soak that was 120 MB more RSS
 * after five minutes, for 35 to 50 MB of live objects. With 16 MB semi-spaces
 * and a 1 GB limit (V8 grows the heap by a smaller factor under a smaller
 * limit) it settles within 20 MB. Young collections run on the main thread
 * alone: in 16 MB they take about a millisecond, and parallel ones had to wait
 * for helper threads that, on busy cores, wait for a CPU themselves (under
 * bench:soak, 22 to 31 scavenges over 2 ms in 2 minutes instead of 57 to 96,
 * and 12% less time in them). One V8 helper thread, not four: concurrent
 * marking and compiling still run beside the main thread, but no longer take
 * every core of a small machine from it (under bench:soak on 2 cores,
 * `perf sched` found the main thread waiting for a CPU behind its own helpers
 * in some of the ticks more than 2 ms late). `node dist/bin/nemesisd.js` runs
 * without these flags.
 */
import { nodeVersionProblem } from '../node-version.ts';

const problem = nodeVersionProblem(process.versions.node);
if (problem !== undefined) {
  process.stderr.write(`nemesisd: ${problem}\n`);
  process.exit(1);
}
await import('../nemesisd.ts');
