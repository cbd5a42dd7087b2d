/**
 * Start-up cost of the `nemesis` tool, a new process for every command:
 * `nemesis --json list` against a running daemon, from the build
 * (`dist/bin/nemesis.js`, what `npx nemesis` and an installed `nemesis` run)
 * and from the sources (type stripping, as the tests run it). Each as it
 * ships (the node flags of its first line, and V8's compile cache on disk,
 * which the tool enables: a fresh folder here, filled by an unmeasured first
 * run), and each without one of the two: without the first line's flags, and
 * with the cache disabled (NODE_DISABLE_COMPILE_CACHE=1). All alternate in
 * rounds, so the machine's drift hits them alike. Figures: median
 * milliseconds from spawn to exit. Run `npm run build` first.
 *   npm run bench:cli -- --rounds 15
 * Last line: cli_startup list_ms=<as shipped, build> flags_ratio=<as shipped / without the flags>
 *   cache_ratio=<as shipped / without the cache, build> sources_cache_ratio=<the same, sources>
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs, promisify } from 'node:util';
import { programNodeFlags } from '../scripts/program-node-flags.ts';
import { median, spawnDaemon } from './processes.ts';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const PROGRAMS = { build: join(ROOT, 'dist/bin/nemesis.js'), sources: join(ROOT, 'src/bin/nemesis.ts') } as const;
type Program = keyof typeof PROGRAMS;
type Way = 'as shipped' | 'no flags' | 'no cache';
const VARIANTS: readonly (readonly [Program, Way])[] = [
  ['build', 'as shipped'],
  ['build', 'no flags'],
  ['build', 'no cache'],
  ['sources', 'as shipped'],
  ['sources', 'no cache'],
];
const label = ([program, way]: readonly [Program, Way]): string => `${program}, ${way}`;

const run = promisify(execFile);

/** One `nemesis --json list`: milliseconds from spawn to exit. */
async function timeOnce([program, way]: readonly [Program, Way], url: string, cacheDir: string): Promise<number> {
  const env: NodeJS.ProcessEnv = { ...process.env, NODE_COMPILE_CACHE: join(cacheDir, program) };
  if (way === 'no cache') env['NODE_DISABLE_COMPILE_CACHE'] = '1';
  const flags = way === 'no flags' ? [] : programNodeFlags(PROGRAMS[program]);
  const started = performance.now();
  const { stdout } = await run(process.execPath, [...flags, PROGRAMS[program], '--url', url, '--json', 'list'], { env });
  const took_ms = performance.now() - started;
  if (!Array.isArray(JSON.parse(stdout))) throw new Error(`${label([program, way])}: not a list of domains: ${stdout}`);
  return took_ms;
}

const { values } = parseArgs({ options: { rounds: { type: 'string', default: '15' } } });
const rounds = Number(values.rounds);
if (!existsSync(PROGRAMS.build)) throw new Error('no build: run `npm run build` first');
const dir = mkdtempSync(join(tmpdir(), 'nemesis-cli-startup-'));
const daemon = await spawnDaemon([join(ROOT, 'dist/bin/nemesisd.js')], { NEMESIS_DB: join(dir, 'nemesis.db') });
try {
  const samples = new Map<string, number[]>(VARIANTS.map((variant) => [label(variant), []]));
  // Unmeasured: fills each program's cache, and warms the daemon and the OS's file cache.
  for (const variant of VARIANTS) await timeOnce(variant, daemon.url, dir);
  for (let round = 0; round < rounds; round++) {
    for (const variant of VARIANTS) samples.get(label(variant))!.push(await timeOnce(variant, daemon.url, dir));
  }
  const ms = (program: Program, way: Way): number => median(samples.get(label([program, way]))!);
  for (const [program, way] of VARIANTS) console.log(`${label([program, way]).padEnd(20)} ${ms(program, way).toFixed(0)} ms (median of ${rounds})`);
  const ratio = (program: Program, way: Way): string => (ms(program, 'as shipped') / ms(program, way)).toFixed(2);
  console.log(
    `cli_startup list_ms=${ms('build', 'as shipped').toFixed(0)} flags_ratio=${ratio('build', 'no flags')} cache_ratio=${ratio('build', 'no cache')} sources_cache_ratio=${ratio('sources', 'no cache')}`,
  );
} finally {
  await daemon.stop();
  rmSync(dir, { recursive: true, force: true });
}
