/**
 * Crash safety of the real daemon process (the build, as `npm start` runs it):
 * under a stream of acknowledged writes it is killed with SIGKILL at seeded
 * random moments, with writes still in flight, and restarted on the same
 * database each time. Every acknowledged create and update must be there after
 * the restart, and SQLite's integrity_check must say ok after every kill.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { it } from 'node:test';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { createRandom } from '../../src/hypervisor/random.ts';
import { tempDir } from '../helpers.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const SEED = Number(process.env['CRASH_SEED'] ?? 8);
const KILLS = 3;
/** Writers with at most one write in flight each: a domain's outcome is its last acknowledged value or its one in-flight value. */
const WRITERS = 4;


async function startDaemonProcess(db: string): Promise<{ child: ChildProcess; url: string }> {
  const env = { ...process.env, PORT: '0', HOST: '127.0.0.1', NEMESIS_DB: db, NEMESIS_PCPUS: '1', LOG_LEVEL: 'info' };
  const child = spawn(process.execPath, ['dist/bin/nemesisd.js'], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'inherit'] });
  const exited = once(child, 'exit').then(([code]) => {
    throw new Error(`daemon exited with ${String(code)} before listening`);
  });
  const listening = (async () => {
    for await (const line of createInterface({ input: child.stdout! })) {
      const url = /Server listening at (http:\/\/127\.0\.0\.1:\d+)/.exec(line)?.[1];
      if (url !== undefined) return url;
    }
    throw new Error('daemon output ended before listening');
  })();
  return { child, url: await Promise.race([listening, exited]) };
}

/** What a domain may hold after a crash: what was acknowledged, or the write in flight. */
interface Expectation {
  created: boolean;
  weight: number;
  inFlight?: number;
}

/** Compare the database (opened beside the restarted daemon, which did its own recovery) with what may be there, then settle it. */
function verify(db: string, domains: Map<string, Expectation>, after: string): void {
  const check = new Database(db);
  try {
    assert.equal(check.pragma('integrity_check', { simple: true }), 'ok', after);
    const rows = check.prepare("SELECT name, weight FROM domains WHERE domid <> 0").all() as { name: string; weight: number }[];
    const stored = new Map(rows.map((d) => [d.name, d.weight]));
    for (const [name, expected] of domains) {
      const weight = stored.get(name);
      const allowed = [...(expected.created ? [expected.weight] : [undefined]), ...(expected.inFlight === undefined ? [] : [expected.inFlight])];
      assert.ok(allowed.includes(weight), `${after}, ${name} has weight ${String(weight)}; acknowledged or in flight: ${allowed.join(' or ')}`);
      // What the restarted daemon has is now the acknowledged state.
      if (weight === undefined) domains.delete(name);
      else Object.assign(expected, { created: true, weight });
      delete expected.inFlight;
    }
    assert.equal(stored.size, domains.size, `${after}: domains nobody created`);
  } finally {
    check.close();
  }
}

it(`lose no acknowledged write when SIGKILLed at ${KILLS} random moments under write load (CRASH_SEED=${SEED})`, async () => {
  // The simulation's seeded generator: the kill moments and the writes repeat with the seed.
  const generator = createRandom(SEED);
  const random = (): number => generator.next();
  const dir = tempDir();
  const db = join(dir.path, 'nemesis.db');
  const domains = new Map<string, Expectation>();
  let acknowledged = 0;
  let child: ChildProcess | undefined;
  try {
    for (let round = 0; round <= KILLS; round += 1) {
      const daemon = await startDaemonProcess(db);
      child = daemon.child;
      if (round > 0) verify(db, domains, `after kill ${round}`);
      if (round === KILLS) {
        // The daemon serves every acknowledged write too.
        const listed = (await (await fetch(`${daemon.url}/api/v1/domains`)).json()) as { name: string; sched: { weight: number } }[];
        assert.deepEqual(
          new Map(listed.filter((d) => d.name !== 'Domain-0').map((d) => [d.name, d.sched.weight])),
          new Map([...domains].map(([name, e]) => [name, e.weight])),
        );
        break;
      }
      const killAfter = acknowledged + 5 + Math.floor(random() * 35);
      const died = once(child, 'exit');
      const writer = async (w: number): Promise<void> => {
        for (let i = 0; ; i += 1) {
          const existing = [...domains.entries()].filter(([name, e]) => e.created && name.startsWith(`w${w}-`));
          const update = existing.length > 0 && random() < 0.6;
          const name = update ? existing[Math.floor(random() * existing.length)]![0] : `w${w}-r${round}-${i}`;
          const weight = 1 + Math.floor(random() * 65535);
          const entry = domains.get(name) ?? { created: false, weight };
          entry.inFlight = weight;
          domains.set(name, entry);
          const request = update
            ? { method: 'PUT', path: `/domains/${name}/sched`, body: { weight } }
            : { method: 'POST', path: '/domains', body: { name, weight, start: random() < 0.5 } };
          let status: number;
          try {
            const reply = await fetch(`${daemon.url}/api/v1${request.path}`, { method: request.method, headers: { 'content-type': 'application/json' }, body: JSON.stringify(request.body) });
            status = reply.status;
          } catch {
            return; // killed with this write in flight: it may or may not have been applied
          }
          assert.ok(status < 300, `${request.method} ${request.path}: ${status}`);
          Object.assign(entry, { created: true, weight });
          delete entry.inFlight;
          acknowledged += 1;
          if (acknowledged === killAfter) daemon.child.kill('SIGKILL');
        }
      };
      await Promise.all([...Array.from({ length: WRITERS }, (_, w) => writer(w)), died]);
    }
    assert.ok(acknowledged >= KILLS * 5, `only ${acknowledged} writes acknowledged`);
  } finally {
    if (child !== undefined && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    dir.remove();
  }
});
