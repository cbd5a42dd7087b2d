/**
 * The daemon's configuration, from the environment (see README), where
 * command-line flags may override it. Every value is checked; all problems
 * are reported together in one clear message.
 */
import { isIP } from 'node:net';
import { parseArgs } from 'node:util';
import { credit2, DEFAULT_SEED, MAX_PCPUS, MAX_SEED, SCHED_NAMES, type SchedName, type Topology } from './hypervisor/index.ts';
import { MAX_SPEED } from './vocabulary/clock.ts';
import { MAX_SOCKET_PATH_BYTES } from './http/local-socket.ts';
import { DEFAULT_STREAM_LIMITS, MAX_STREAMS } from './vocabulary/streams.ts';

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export interface Config {
  readonly port: number;
  readonly host: string;
  readonly db: string;
  readonly pcpus: number;
  readonly token: string | undefined;
  readonly logLevel: LogLevel;
  readonly insecure: boolean;
  /** NEMESIS_ALLOWED_HOSTS: names clients may use in the Host header besides IPs, loopback names and HOST. */
  readonly allowedHosts: readonly string[];
  readonly metricsPublic: boolean;
  /** Changes per minute per client address; 0 = no limit. */
  readonly rateLimitPerMinute: number;
  readonly maxStreams: number;
  readonly maxStreamsPerClient: number;
  /** 503 OVERLOADED while the event loop lags more than this; 0 = never. */
  readonly maxEventLoopDelay_ms: number;
  /** NEMESIS_SOCKET: a Unix domain socket to serve on as well (mode 0660, no token asked there). */
  readonly socket?: string;
}

export const DEFAULTS = {
  PORT: '8000',
  HOST: '127.0.0.1',
  NEMESIS_DB: './data/nemesis.db',
  NEMESIS_PCPUS: '4',
  LOG_LEVEL: 'info',
  NEMESIS_RATE_LIMIT: '60000',
  NEMESIS_MAX_STREAMS: String(DEFAULT_STREAM_LIMITS.total),
  NEMESIS_MAX_STREAMS_PER_CLIENT: String(DEFAULT_STREAM_LIMITS.perClient),
  NEMESIS_MAX_EVENT_LOOP_DELAY_MS: '1000',
} as const;

/** A token that guards a daemon reachable from other machines must not be guessable in reasonable time. */
export const MIN_REMOTE_TOKEN_LENGTH = 16;

export class ConfigError extends Error {
  readonly problems: readonly string[];

  constructor(problems: readonly string[]) {
    super(`bad configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

type Env = Readonly<Record<string, string | undefined>>;

function integer(env: Env, name: keyof typeof DEFAULTS, min: number, max: number, problems: string[]): number {
  const raw = (env[name] ?? DEFAULTS[name]).trim();
  const value = Number(raw);
  if (!/^[0-9]+$/.test(raw) || value < min || value > max) {
    problems.push(`${name} must be an integer in ${min}..${max}, got "${raw}"`);
  }
  return value;
}

const HOST_NAME = /^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;

/** A switch: 1 (on), 0 or unset (off). */
function flag(env: Env, name: string, problems: string[]): boolean {
  const raw = env[name];
  if (raw !== undefined && raw !== '' && raw !== '0' && raw !== '1') problems.push(`${name} must be 1 (or unset), got "${raw}"`);
  return raw === '1';
}

/** Loopback: 127.0.0.0/8, ::1 and the name localhost. */
export function isLoopback(host: string): boolean {
  if (host === 'localhost' || host === '::1') return true;
  return isIP(host) === 4 && host.startsWith('127.');
}

/** Flags that mirror the environment. The token has none: a command line is visible to every user of the machine. */
const FLAGS = {
  port: { env: 'PORT', type: 'string' },
  host: { env: 'HOST', type: 'string' },
  socket: { env: 'NEMESIS_SOCKET', type: 'string' },
  db: { env: 'NEMESIS_DB', type: 'string' },
  pcpus: { env: 'NEMESIS_PCPUS', type: 'string' },
  'log-level': { env: 'LOG_LEVEL', type: 'string' },
  insecure: { env: 'NEMESIS_INSECURE', type: 'boolean' },
  'allowed-hosts': { env: 'NEMESIS_ALLOWED_HOSTS', type: 'string' },
  'metrics-public': { env: 'NEMESIS_METRICS_PUBLIC', type: 'boolean' },
  'rate-limit': { env: 'NEMESIS_RATE_LIMIT', type: 'string' },
  'max-streams': { env: 'NEMESIS_MAX_STREAMS', type: 'string' },
  'max-streams-per-client': { env: 'NEMESIS_MAX_STREAMS_PER_CLIENT', type: 'string' },
  'max-event-loop-delay-ms': { env: 'NEMESIS_MAX_EVENT_LOOP_DELAY_MS', type: 'string' },
  seed: { env: 'NEMESIS_SEED', type: 'string' },
  'clock-speed': { env: 'NEMESIS_CLOCK_SPEED', type: 'string' },
  sched: { env: 'NEMESIS_SCHED', type: 'string' },
  topology: { env: 'NEMESIS_TOPOLOGY', type: 'string' },
  'credit2-runqueue': { env: 'NEMESIS_CREDIT2_RUNQUEUE', type: 'string' },
  help: { env: null, type: 'boolean', short: 'h' },
  version: { env: null, type: 'boolean', short: 'V' },
} as const;

export const USAGE = `usage: nemesisd [--port N] [--host ADDR] [--socket PATH] [--db FILE] [--pcpus N] [--log-level LEVEL] [--insecure] [--seed N] [--clock-speed X]
  [--sched credit|credit2] [--topology SxCxT] [--credit2-runqueue cpu|core|socket|node|all]
  [--allowed-hosts NAME,...] [--metrics-public] [--rate-limit N] [--max-streams N] [--max-streams-per-client N] [--max-event-loop-delay-ms N]
       nemesisd --help | --version
Each flag overrides its environment variable: ${Object.values(FLAGS)
  .flatMap((flag) => (flag.env === null ? [] : [flag.env]))
  .join(', ')}; NEMESIS_TOKEN is read from the environment only.`;

/** The environment with the command line's flags applied over it, and whether --help or --version was asked for. */
export function applyFlags(args: readonly string[], env: Env): { env: Env; help: boolean; version: boolean } {
  let parsed;
  try {
    parsed = parseArgs({ args: [...args], options: FLAGS, strict: true, allowPositionals: false });
  } catch (error) {
    throw new ConfigError([`${error instanceof Error ? error.message : String(error)}\n${USAGE}`]);
  }
  const merged: Record<string, string | undefined> = { ...env };
  for (const [name, value] of Object.entries(parsed.values)) {
    const target = FLAGS[name as keyof typeof FLAGS].env;
    if (target !== null) merged[target] = value === true ? '1' : String(value);
  }
  return { env: merged, help: parsed.values.help === true, version: parsed.values.version === true };
}

export function loadConfig(env: Env): Config {
  const problems: string[] = [];
  const port = integer(env, 'PORT', 0, 65535, problems);
  const pcpus = integer(env, 'NEMESIS_PCPUS', 1, MAX_PCPUS, problems);
  const host = (env['HOST'] ?? DEFAULTS.HOST).trim();
  if (host === '') problems.push('HOST must not be empty');
  const db = env['NEMESIS_DB'] ?? DEFAULTS.NEMESIS_DB;
  if (db.trim() === '') problems.push('NEMESIS_DB must not be empty');
  const level = env['LOG_LEVEL'] ?? DEFAULTS.LOG_LEVEL;
  if (!(LOG_LEVELS as readonly string[]).includes(level)) problems.push(`LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}, got "${level}"`);
  const token = env['NEMESIS_TOKEN'] === undefined || env['NEMESIS_TOKEN'] === '' ? undefined : env['NEMESIS_TOKEN'];
  const insecure = flag(env, 'NEMESIS_INSECURE', problems);
  if (host !== '' && !isLoopback(host) && token === undefined && !insecure) {
    problems.push(
      `HOST ${host} is not a loopback address: set NEMESIS_TOKEN so /api/v1 needs a bearer token ` +
        '(or NEMESIS_INSECURE=1 to serve it unauthenticated)',
    );
  }
  if (host !== '' && !isLoopback(host) && token !== undefined && token.length < MIN_REMOTE_TOKEN_LENGTH) {
    problems.push(`NEMESIS_TOKEN must have at least ${MIN_REMOTE_TOKEN_LENGTH} characters when HOST ${host} is not a loopback address`);
  }
  const allowedHosts = (env['NEMESIS_ALLOWED_HOSTS'] ?? '').split(',').map((name) => name.trim()).filter((name) => name !== '');
  for (const name of allowedHosts) if (!HOST_NAME.test(name)) problems.push(`NEMESIS_ALLOWED_HOSTS: "${name}" is not a host name`);
  const socket = env['NEMESIS_SOCKET'] === undefined || env['NEMESIS_SOCKET'].trim() === '' ? undefined : env['NEMESIS_SOCKET'];
  if (socket !== undefined && Buffer.byteLength(socket) > MAX_SOCKET_PATH_BYTES) {
    problems.push(`NEMESIS_SOCKET must be a path of at most ${MAX_SOCKET_PATH_BYTES} bytes (a Unix socket's limit), got ${Buffer.byteLength(socket)}`);
  }
  const config: Config = {
    port,
    host,
    db,
    pcpus,
    token,
    logLevel: level as LogLevel,
    insecure,
    allowedHosts,
    metricsPublic: flag(env, 'NEMESIS_METRICS_PUBLIC', problems),
    rateLimitPerMinute: integer(env, 'NEMESIS_RATE_LIMIT', 0, 1e9, problems),
    maxStreams: integer(env, 'NEMESIS_MAX_STREAMS', 1, MAX_STREAMS, problems),
    maxStreamsPerClient: integer(env, 'NEMESIS_MAX_STREAMS_PER_CLIENT', 1, MAX_STREAMS, problems),
    maxEventLoopDelay_ms: integer(env, 'NEMESIS_MAX_EVENT_LOOP_DELAY_MS', 0, 3_600_000, problems),
    ...(socket === undefined ? {} : { socket }),
  };
  if (problems.length > 0) throw new ConfigError(problems);
  return config;
}

/** How the simulation runs: reproducibly from a seed, and at which clock speed from the start. */
export interface RunConfig {
  readonly seed: number;
  /** Undefined: the speed last set through the API (stored), 1 on a new database. */
  readonly clockSpeed: number | undefined;
}

/** NEMESIS_SEED (default 1) and NEMESIS_CLOCK_SPEED (0 = start frozen), checked like the rest. */
export function loadRunConfig(env: Env): RunConfig {
  const problems: string[] = [];
  const seedRaw = (env['NEMESIS_SEED'] ?? String(DEFAULT_SEED)).trim();
  const seed = Number(seedRaw);
  if (!/^[0-9]+$/.test(seedRaw) || seed > MAX_SEED) problems.push(`NEMESIS_SEED must be an integer in 0..${MAX_SEED}, got "${seedRaw}"`);
  const speedRaw = env['NEMESIS_CLOCK_SPEED']?.trim();
  const clockSpeed = speedRaw === undefined || speedRaw === '' ? undefined : Number(speedRaw);
  if (clockSpeed !== undefined && !(/^[0-9.]+$/.test(speedRaw!) && clockSpeed >= 0 && clockSpeed <= MAX_SPEED)) {
    problems.push(`NEMESIS_CLOCK_SPEED must be a number in 0..${MAX_SPEED} (0 = frozen, 1 = real time), got "${speedRaw}"`);
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return { seed, clockSpeed };
}

/** The simulated machine: its shape and the scheduler Pool-0 boots with (Xen's `sched=` and `credit2_runqueue=`). */
export interface HostShape {
  /** sockets × cores × threads. */
  readonly pcpus: number;
  readonly topology: Topology;
  readonly sched: SchedName;
  readonly credit2_runqueue: credit2.RunqueueArrangement;
}

const TOPOLOGY_PATTERN = /^([0-9]+)x([0-9]+)x([0-9]+)$/;

/**
 * NEMESIS_TOPOLOGY (SxCxT; default 1 socket of NEMESIS_PCPUS single-thread cores), NEMESIS_SCHED
 * (default credit, the 2007 patches' scheduler; Xen's own default is credit2) and NEMESIS_CREDIT2_RUNQUEUE (default socket).
 */
export function loadHostShape(env: Env): HostShape {
  const problems: string[] = [];
  const pcpusRaw = env['NEMESIS_PCPUS']?.trim();
  const topologyRaw = env['NEMESIS_TOPOLOGY']?.trim();
  let topology: Topology = { sockets: 1, cores: Number(pcpusRaw ?? DEFAULTS.NEMESIS_PCPUS), threads: 1 };
  if (topologyRaw !== undefined && topologyRaw !== '') {
    const match = TOPOLOGY_PATTERN.exec(topologyRaw);
    const [sockets, cores, threads] = (match?.slice(1) ?? []).map(Number);
    if (match === null || ![sockets, cores, threads].every((n) => n! >= 1) || sockets! * cores! * threads! > MAX_PCPUS) {
      problems.push(`NEMESIS_TOPOLOGY must be SOCKETSxCORESxTHREADS, each at least 1, at most ${MAX_PCPUS} pCPUs in all (e.g. 2x8x2), got "${topologyRaw}"`);
    } else {
      topology = { sockets: sockets!, cores: cores!, threads: threads! };
      const pcpus = sockets! * cores! * threads!;
      if (pcpusRaw !== undefined && pcpusRaw !== '' && Number(pcpusRaw) !== pcpus) {
        problems.push(`NEMESIS_PCPUS (${pcpusRaw}) disagrees with NEMESIS_TOPOLOGY ${topologyRaw} (${pcpus} pCPUs): give one of them`);
      }
    }
  }
  const sched = (env['NEMESIS_SCHED'] ?? 'credit').trim();
  if (!(SCHED_NAMES as readonly string[]).includes(sched)) problems.push(`NEMESIS_SCHED must be one of ${SCHED_NAMES.join(', ')}, got "${sched}"`);
  const runqueue = (env['NEMESIS_CREDIT2_RUNQUEUE'] ?? 'socket').trim();
  if (!(credit2.CREDIT2_RUNQUEUE_ARRANGEMENTS as readonly string[]).includes(runqueue)) {
    problems.push(`NEMESIS_CREDIT2_RUNQUEUE must be one of ${credit2.CREDIT2_RUNQUEUE_ARRANGEMENTS.join(', ')}, got "${runqueue}"`);
  }
  if (problems.length > 0) throw new ConfigError(problems);
  const { sockets, cores, threads } = topology;
  return { pcpus: sockets * cores * threads, topology, sched: sched as SchedName, credit2_runqueue: runqueue as credit2.RunqueueArrangement };
}
