/** The what-if worker thread: one warm copy app, running the jobs the daemon posts, one at a time. */
import { parentPort } from 'node:worker_threads';
import type { WhatIfJob } from '../control/index.ts';
import { createCopyApp } from './what-if-copy.ts';

const port = parentPort!;
const app = await createCopyApp();
port.on('message', (message: { readonly id: number; readonly job: WhatIfJob }) => {
  app.run(message.job).then(
    (outcome) => port.postMessage({ id: message.id, outcome }),
    (error: unknown) => port.postMessage({ id: message.id, failure: error instanceof Error ? error.stack ?? error.message : String(error) }),
  );
});
port.postMessage({ ready: true });
