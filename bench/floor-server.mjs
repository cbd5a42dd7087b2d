// bench:advance's floor (bench/advance.ts starts it): the advance's path on a bare Fastify, its
// logger on for the listening line only (as the daemon logs no line per request at info),
// answering a clock that moves by what is asked and computes nothing. Plain JavaScript, so that
// like the built daemon it loads no TypeScript stripper (see bench/sim-speed-child.mjs).
import Fastify, { LogController } from 'fastify';

const app = Fastify({ logger: { level: 'info' }, logController: new LogController({ disableRequestLogging: true }) });
let now_ns = 0;
app.post('/api/v1/host/clock/advance', async (request) => {
  now_ns += request.body.ms * 1e6;
  return { now_ns };
});
await app.listen({ port: 0, host: '127.0.0.1' });
// A clean exit (which lets `node --cpu-prof` write its profile).
process.once('SIGTERM', () => void app.close().then(() => process.exit(0)));
