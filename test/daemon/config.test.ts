import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { applyFlags, ConfigError, isLoopback, loadConfig } from '../../src/config.ts';

/** The hardening options at their defaults. */
const PROTECTION_DEFAULTS = {
  allowedHosts: [],
  metricsPublic: false,
  rateLimitPerMinute: 60000,
  maxStreams: 1000,
  maxStreamsPerClient: 20,
  maxEventLoopDelay_ms: 1000,
};
const TOKEN = 'sixteen-chars-ok';

describe('configuration from the environment', () => {
  it('use the contract defaults', () => {
    assert.deepEqual(loadConfig({}), {
      port: 8000,
      host: '127.0.0.1',
      db: './data/nemesis.db',
      pcpus: 4,
      token: undefined,
      logLevel: 'info',
      insecure: false,
      ...PROTECTION_DEFAULTS,
    });
  });

  it('read every variable', () => {
    const config = loadConfig({ PORT: '9000', HOST: '0.0.0.0', NEMESIS_DB: '/tmp/x.db', NEMESIS_PCPUS: '8', NEMESIS_TOKEN: TOKEN, LOG_LEVEL: 'debug' });
    assert.deepEqual(config, { port: 9000, host: '0.0.0.0', db: '/tmp/x.db', pcpus: 8, token: TOKEN, logLevel: 'debug', insecure: false, ...PROTECTION_DEFAULTS });
  });

  it('allow a non-loopback HOST without a token only with NEMESIS_INSECURE=1', () => {
    assert.throws(() => loadConfig({ HOST: '10.0.0.1' }), ConfigError);
    assert.equal(loadConfig({ HOST: '10.0.0.1', NEMESIS_INSECURE: '1' }).insecure, true);
    assert.throws(() => loadConfig({ NEMESIS_INSECURE: 'yes' }), /NEMESIS_INSECURE must be 1/);
  });

  it('report every bad value at once', () => {
    assert.throws(
      () => loadConfig({ PORT: '70000', NEMESIS_PCPUS: 'four', LOG_LEVEL: 'loud' }),
      (error: ConfigError) => error.problems.length === 3 && /PORT/.test(error.message) && /NEMESIS_PCPUS/.test(error.message) && /LOG_LEVEL/.test(error.message),
    );
  });

  it('let command-line flags override the environment', () => {
    const { env, help } = applyFlags(['--port', '9001', '--host=0.0.0.0', '--insecure', '--pcpus', '2', '--db', '/tmp/y.db', '--log-level', 'warn'], {
      PORT: '9000',
      NEMESIS_PCPUS: '8',
      NEMESIS_TOKEN: TOKEN,
    });
    assert.equal(help, false);
    assert.deepEqual(loadConfig(env), { port: 9001, host: '0.0.0.0', db: '/tmp/y.db', pcpus: 2, token: TOKEN, logLevel: 'warn', insecure: true, ...PROTECTION_DEFAULTS });
    assert.equal(applyFlags(['--help'], {}).help, true);
    assert.deepEqual([applyFlags(['--version'], {}).version, applyFlags(['-V'], {}).version, applyFlags(['-h'], {}).version], [true, true, false]);
  });

  it('refuse unknown flags, and a token on the command line, naming the flag', () => {
    assert.throws(() => applyFlags(['--speed', '3'], {}), (error: ConfigError) => /--speed/.test(error.message) && /usage: nemesisd/.test(error.message));
    assert.throws(() => applyFlags(['--token', 'secret'], {}), /--token/);
    assert.throws(() => applyFlags(['extra'], {}), ConfigError);
  });

  it('know loopback addresses', () => {
    for (const host of ['127.0.0.1', '127.1.2.3', '::1', 'localhost']) assert.equal(isLoopback(host), true, host);
    for (const host of ['0.0.0.0', '::', '10.0.0.1', 'example.org', '127.0.0.1.nip.io']) assert.equal(isLoopback(host), false, host);
  });
});

describe('the local socket\'s configuration', () => {
  it('NEMESIS_SOCKET and --socket name it; a path longer than a Unix socket takes is refused', () => {
    assert.equal(loadConfig({ NEMESIS_SOCKET: '/run/nemesis/nemesisd.sock' }).socket, '/run/nemesis/nemesisd.sock');
    assert.equal(loadConfig(applyFlags(['--socket', '/tmp/n.sock'], {}).env).socket, '/tmp/n.sock');
    assert.equal(loadConfig({}).socket, undefined);
    const long = `/tmp/${'s'.repeat(103)}`;
    assert.throws(() => loadConfig({ NEMESIS_SOCKET: long }), (error: Error) => error.message.includes(`NEMESIS_SOCKET must be a path of at most 107 bytes (a Unix socket's limit), got 108`));
  });
});
