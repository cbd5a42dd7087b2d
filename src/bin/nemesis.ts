#!/usr/bin/env -S node --liftoff-only
/**
 * `nemesis`: the command-line tool (see src/cli/main.ts). Every command is a
 * new process, so its start-up is what a user waits for. `--liftoff-only`
 * keeps V8 to its baseline WebAssembly compiler: node's fetch parses HTTP with
 * a WebAssembly module, and a process that lives a fraction of a second gains
 * nothing from optimising it, yet it started and exited later with the
 * default (`npm run bench:cli`: `nemesis list` in 346 ms instead of 492;
 * `--no-wasm-tier-up` alone made no difference). The few answers a second of
 * `nemesis top` need no faster parser.
 */
import { nodeVersionProblem } from '../node-version.ts';

// First, as the daemon does: on an older Node.js the tool's modules fail to load with a stack trace.
const problem = nodeVersionProblem(process.versions.node);
if (problem !== undefined) {
  process.stderr.write(`nemesis: ${problem}\n`);
  process.exit(1);
}
// V8's code for the tool cached on disk (NODE_COMPILE_CACHE, else the temp
// folder; silently skipped when that fails), before the tool's modules load:
// run from the sources, later commands skip stripping their types and
// compiling them (bench:cli: 0.60 of the time); from the build no difference
// was measured. Imported here, not above: an old Node.js has no such export,
// and a static import would fail before the check could run.
const { enableCompileCache } = await import('node:module');
enableCompileCache();
const { main } = await import('../cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
