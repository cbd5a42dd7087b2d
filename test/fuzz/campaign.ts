/**
 * A fuzzing campaign: `runs` fresh daemons (frozen clock, a small fixture), each
 * sent `length` generated requests through inject. After every request: no 5xx;
 * an error has the documented shape and a catalogue code; after a 4xx the state
 * (the API's views and every database row) is what it was before. Seeded: the
 * same seed sends the same requests; a failure names the seed and the request,
 * and says whether that request alone, on a fresh fixture, reproduces it.
 */
import { STATUS_CODES } from 'node:http';
import fc from 'fast-check';
import type { InjectOptions } from 'fastify';
import { ERROR_CATALOGUE } from '../../src/vocabulary/errors.ts';
import { startDaemon, type TestDaemon } from '../helpers.ts';
import { describeRequest, namedValues, operationName, operationsOf, OVERSIZE_BYTES, requestFor, withEventCursors, type FuzzRequest, type Operation } from './requests.ts';
import type { SchemaContext } from './schema-arbitraries.ts';

export const DEFAULT_SEED = 20261127;

/**
 * Valid values narrowed where the schema's full range would make a run slow or
 * move the frozen clock: the clock stays frozen (speed 0) and advances (`ms` or
 * `ns`) are short. Duty phases take the schema's whole range (from its 0.1 ms minimum).
 */
const NARROWED: SchemaContext['narrowed'] = {
  speed: fc.constant(0),
  ms: fc.integer({ min: 1, max: 20 }),
  ns: fc.integer({ min: 1, max: 20_000_000 }),
};

export interface CampaignOptions {
  readonly seed: number;
  readonly runs: number;
  /** Requests per run (per fresh daemon). */
  readonly length: number;
  /** Go on after a failure, collecting one example per kind of problem (for a survey; the test stops at the first). */
  readonly keepGoing?: boolean;
}

export interface CampaignReport {
  readonly requests: number;
  readonly byOperation: Record<string, number>;
  readonly byStatus: Record<number, number>;
  readonly failure?: string;
  /** With keepGoing: every kind of problem seen, with a count and its first failure report. */
  readonly problems: Record<string, { count: number; example: string }>;
}

const SNAPSHOT_VIEWS = ['/api/v1/domains', '/api/v1/scheduling-domains', '/api/v1/scheduler', '/api/v1/host', '/api/v1/cpupools'] as const;

/** The fixture every run starts from: running, paused, halted and duty domains, a group, and a credit2 cpupool beside Pool-0. */
const FIXTURE: readonly [string, string, unknown?][] = [
  ['POST', '/api/v1/domains', { name: 'alpha', start: true, vcpus: 2, max_vcpus: 4, cap: 50 }],
  ['POST', '/api/v1/domains', { name: 'beta', start: true }],
  ['POST', '/api/v1/domains', { name: 'gamma', start: true, weight: 512 }],
  ['POST', '/api/v1/domains/gamma/pause'],
  ['POST', '/api/v1/domains', { name: 'delta' }],
  ['POST', '/api/v1/domains', { name: 'io', start: true, workload: { type: 'duty', run_ms: 2, sleep_ms: 8 } }],
  ['POST', '/api/v1/scheduling-domains', { master: 'alpha', members: [{ domain: 'beta', share: 128 }] }],
  ['DELETE', '/api/v1/cpupools/Pool-0/pcpus/1'],
  ['POST', '/api/v1/cpupools', { name: 'spare', sched: 'credit2', pcpus: [1] }],
  ['POST', '/api/v1/host/clock/advance', { ms: 50 }],
];

/** A daemon on an in-memory database (its temp folder removed on close), with the fixture created. */
export async function fixtureDaemon(): Promise<TestDaemon> {
  const daemon = await memoryDaemon();
  for (const [method, url, body] of FIXTURE) {
    const reply = await daemon.request(method as 'POST', url, body);
    if (reply.status >= 300) throw new Error(`fixture ${method} ${url}: ${reply.status} ${JSON.stringify(reply.body)}`);
  }
  return daemon;
}

/** The API's views (the host without its clock) and every row of every table. */
export function snapshotter(daemon: TestDaemon): () => Promise<string> {
  const tables = (daemon.store.db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name").all() as { name: string }[])
    .map(({ name }) => daemon.store.db.prepare(`SELECT * FROM "${name}"`));
  return async () => {
    const parts: string[] = [];
    for (const url of SNAPSHOT_VIEWS) {
      const view = (await daemon.app.inject({ method: 'GET', url })).body;
      parts.push(url === '/api/v1/host' ? JSON.stringify({ ...(JSON.parse(view) as object), clock: undefined }) : view);
    }
    for (const statement of tables) parts.push(JSON.stringify(statement.all()));
    return parts.join('\n');
  };
}

function injectOptions(request: FuzzRequest, boot: string): InjectOptions {
  const options: InjectOptions = { method: request.method as 'GET', url: withEventCursors(request.url, boot), headers: { ...request.headers } };
  const body = request.body;
  const headers = options.headers as Record<string, string>;
  if (body.kind === 'json') {
    headers['content-type'] = 'application/json';
    options.payload = JSON.stringify(body.value);
  } else if (body.kind === 'raw') {
    if (body.contentType !== undefined) headers['content-type'] = body.contentType;
    options.payload = body.text;
  } else if (body.kind === 'oversize') {
    headers['content-type'] = body.contentType;
    options.payload = `{"name":"big","pad":"${'x'.repeat(OVERSIZE_BYTES)}"}`;
  }
  return options;
}

/** What is wrong with an answer, or undefined. */
function problemWith(status: number, text: string, contentType: string, method: string): string | undefined {
  if (status >= 500) return `status ${status}`;
  if (status < 400 || method === 'HEAD') return undefined;
  let body: Record<string, unknown>;
  try {
    body = JSON.parse(text) as Record<string, unknown>;
  } catch {
    return `error body is not JSON (content-type ${contentType})`;
  }
  const code = body['code'];
  const entry = typeof code === 'string' ? ERROR_CATALOGUE[code as keyof typeof ERROR_CATALOGUE] : undefined;
  const problems = [
    body['statusCode'] === status ? undefined : `statusCode ${String(body['statusCode'])} is not the status ${status}`,
    entry !== undefined ? undefined : `code ${JSON.stringify(code)} is not in the catalogue`,
    entry === undefined || entry.status === status ? undefined : `code ${String(code)} is catalogued with status ${entry.status}`,
    body['error'] === STATUS_CODES[status] ? undefined : `error ${JSON.stringify(body['error'])} is not ${JSON.stringify(STATUS_CODES[status])}`,
    typeof body['message'] === 'string' ? undefined : 'no message',
  ].filter((p) => p !== undefined);
  return problems.length === 0 ? undefined : problems.join('; ');
}

interface Outcome {
  readonly problem?: string;
  readonly status: number;
  readonly answer: string;
}

async function check(daemon: TestDaemon, snapshot: () => Promise<string>, before: string, request: FuzzRequest): Promise<Outcome & { after: string }> {
  const response = await daemon.app.inject(injectOptions(request, daemon.control.events.boot));
  const status = response.statusCode;
  const answer = `${status} ${response.body.slice(0, 240)}`;
  let problem = problemWith(status, response.body, String(response.headers['content-type']), request.method);
  // A read that succeeded changed nothing (if it did, the next failed request shows it).
  const read = (request.method === 'GET' || request.method === 'HEAD') && status < 400;
  const after = read ? before : await snapshot();
  if (status >= 400 && status < 500 && after !== before) problem = [problem, 'the failed request changed the state'].filter(Boolean).join('; ');
  return problem === undefined ? { status, answer, after } : { problem, status, answer, after };
}

/** Whether the request alone, on a fresh fixture, gives the same problem: then it is its own minimal repro. */
async function aloneReproduces(request: FuzzRequest): Promise<boolean> {
  const daemon = await fixtureDaemon();
  try {
    const snapshot = snapshotter(daemon);
    return (await check(daemon, snapshot, await snapshot(), request)).problem !== undefined;
  } finally {
    await daemon.close();
  }
}

async function memoryDaemon(): Promise<TestDaemon> {
  const daemon = await startDaemon({ db: ':memory:', pcpus: 2 });
  return {
    ...daemon,
    async close() {
      await daemon.close();
      daemon.dir.remove();
    },
  };
}

async function documentOperations(): Promise<{ operations: Operation[]; ctx: SchemaContext }> {
  const daemon = await memoryDaemon();
  try {
    const document = (await daemon.app.inject({ method: 'GET', url: '/openapi.json' })).json() as Parameters<typeof operationsOf>[0];
    return { operations: operationsOf(document), ctx: { components: document.components.schemas, named: namedValues(), narrowed: NARROWED } };
  } finally {
    await daemon.close();
  }
}

/** The request sequences of a campaign: run r of seed s is the same on every machine. */
export async function campaignSequences(options: CampaignOptions): Promise<{ operations: Operation[]; sequences: FuzzRequest[][] }> {
  const { operations, ctx } = await documentOperations();
  const request = fc.oneof(...operations.map((operation) => requestFor(operation, ctx)));
  const sequence = fc.array(request, { minLength: options.length, maxLength: options.length });
  return { operations, sequences: fc.sample(sequence, { seed: options.seed, numRuns: options.runs }) };
}

export async function runCampaign(options: CampaignOptions): Promise<CampaignReport> {
  const { operations, sequences } = await campaignSequences(options);
  const byOperation = Object.fromEntries(operations.map((operation) => [operationName(operation), 0]));
  const byStatus: Record<number, number> = {};
  const problems: CampaignReport['problems'] = {};
  let requests = 0;
  for (const [run, sequence] of sequences.entries()) {
    const daemon = await fixtureDaemon();
    try {
      const snapshot = snapshotter(daemon);
      let before = await snapshot();
      for (const [index, request] of sequence.entries()) {
        const outcome = await check(daemon, snapshot, before, request);
        requests += 1;
        byOperation[request.operation] = (byOperation[request.operation] ?? 0) + 1;
        byStatus[outcome.status] = (byStatus[outcome.status] ?? 0) + 1;
        if (outcome.problem !== undefined && problems[`${outcome.status} ${outcome.problem}`] !== undefined) {
          problems[`${outcome.status} ${outcome.problem}`]!.count += 1;
        } else if (outcome.problem !== undefined) {
          const alone = await aloneReproduces(request);
          const failure = [
            `FUZZ_SEED=${options.seed} run ${run} request ${index}: ${outcome.problem}`,
            `  request: ${describeRequest(request)}`,
            `  answer:  ${outcome.answer}`,
            alone
              ? '  minimal: this request alone on a fresh fixture reproduces it'
              : `  needs what came before in run ${run}; the last requests were:\n${sequence.slice(Math.max(0, index - 20), index).map((r) => `    ${describeRequest(r)}`).join('\n')}`,
            `  replay:  npm run fuzz -- --seed ${options.seed} --runs ${run + 1} --length ${options.length}`,
          ].join('\n');
          if (options.keepGoing !== true) return { requests, byOperation, byStatus, failure, problems };
          problems[`${outcome.status} ${outcome.problem}`] = { count: 1, example: failure };
        }
        before = outcome.after;
      }
    } finally {
      await daemon.close();
    }
  }
  return { requests, byOperation, byStatus, problems };
}
