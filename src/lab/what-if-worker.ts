/**
 * The daemon's side of what-if: one warm worker thread (started at the first
 * what-if, kept: starting one and loading the app costs more than most
 * what-ifs), jobs posted to it with their snapshot's buffers transferred, not
 * copied. A worker that dies fails the jobs it held and is replaced at the next.
 */
import { Worker } from 'node:worker_threads';
import type { WhatIfOutcome, WhatIfRunner } from '../control/index.ts';

/** The worker's source beside this file: .ts when run from the sources, .js when built. */
const WORKER_URL = new URL(import.meta.url.endsWith('.ts') ? './what-if-thread.ts' : './what-if-thread.js', import.meta.url);

export interface WhatIfWorker extends WhatIfRunner {
  close(): Promise<void>;
}

type Reply = { readonly id: number; readonly outcome: WhatIfOutcome } | { readonly id: number; readonly failure: string } | { readonly ready: true };

export function createWhatIfWorker(): WhatIfWorker {
  let worker: Worker | null = null;
  let nextId = 0;
  const pending = new Map<number, { resolve(outcome: WhatIfOutcome): void; reject(error: Error): void }>();

  const failAll = (error: Error): void => {
    for (const { reject } of pending.values()) reject(error);
    pending.clear();
    worker = null;
  };

  const start = (): Worker => {
    const started = new Worker(WORKER_URL);
    started.unref();
    started.on('message', (reply: Reply) => {
      if ('ready' in reply) return;
      const waiting = pending.get(reply.id);
      pending.delete(reply.id);
      if ('failure' in reply) waiting?.reject(new Error(`the what-if copy failed: ${reply.failure}`));
      else waiting?.resolve(reply.outcome);
    });
    started.on('error', (error) => failAll(error));
    started.on('exit', (code) => {
      if (worker === started) failAll(new Error(`the what-if worker exited (${code})`));
    });
    return started;
  };

  return {
    run(job) {
      worker ??= start();
      const id = nextId++;
      const transfer = job.snapshot.engine.nodes.flatMap((node) => (node.kind === 'typed' ? [node.data.buffer as ArrayBuffer] : []));
      return new Promise<WhatIfOutcome>((resolve, reject) => {
        pending.set(id, { resolve, reject });
        worker!.postMessage({ id, job }, transfer);
      });
    },
    async close() {
      const running = worker;
      worker = null;
      failAll(new Error('the daemon is closing'));
      if (running !== null) await running.terminate();
    },
  };
}
