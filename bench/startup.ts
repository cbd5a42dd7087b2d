/**
 * Start-up cost of the daemon: the compiled build (`node dist/bin/nemesisd.js`,
 * what `npm start` and the image run) against the sources under Node's own type
 * stripping (`node src/bin/nemesisd.ts`, what `npm run dev` runs). The two
 * alternate in rounds on fresh databases, so the machine's drift hits both alike.
 * Figures: milliseconds from spawn to the first /healthz answer, and resident
 * memory then. Run `npm run build` first.
 *   npm run bench:startup -- --rounds 5
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { median, rssMb, spawnDaemon } from './processes.ts';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const VARIANTS = { dist: 'dist/bin/nemesisd.js', 'type-stripping': 'src/bin/nemesisd.ts' } as const;
type Variant = keyof typeof VARIANTS;

interface Sample {
  readonly ready_ms: number;
  readonly rss_mb: number;
}

async function startOnce(variant: Variant): Promise<Sample> {
  const dir = mkdtempSync(join(tmpdir(), 'nemesis-startup-'));
  const started = performance.now();
  const daemon = await spawnDaemon([VARIANTS[variant]], { NEMESIS_DB: join(dir, 'nemesis.db') }, ROOT);
  try {
    const response = await fetch(`${daemon.url}/healthz`);
    if (!response.ok) throw new Error(`${variant}: /healthz answered ${response.status}`);
    const ready_ms = performance.now() - started;
    return { ready_ms, rss_mb: rssMb(daemon.pid) };
  } finally {
    await daemon.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

const { values } = parseArgs({ options: { rounds: { type: 'string', default: '5' } } });
const rounds = Number(values.rounds);
if (!existsSync(join(ROOT, VARIANTS.dist))) throw new Error('no build: run `npm run build` first');
const samples: Record<Variant, Sample[]> = { dist: [], 'type-stripping': [] };
for (let round = 0; round < rounds; round++) {
  for (const variant of Object.keys(VARIANTS) as Variant[]) samples[variant].push(await startOnce(variant));
}
for (const variant of Object.keys(VARIANTS) as Variant[]) {
  const ready = median(samples[variant].map((s) => s.ready_ms));
  const rss = median(samples[variant].map((s) => s.rss_mb));
  console.log(`${variant.padEnd(15)} ready_ms=${ready.toFixed(0)} rss_mb=${rss.toFixed(0)} (median of ${rounds})`);
}
const ratio = median(samples.dist.map((s) => s.ready_ms)) / median(samples['type-stripping'].map((s) => s.ready_ms));
console.log(`startup dist_vs_stripping_ready_ratio=${ratio.toFixed(2)}`);
