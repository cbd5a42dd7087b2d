#!/usr/bin/env node
/**
 * The `nemesisd` command. It checks the Node.js version before anything else is
 * loaded: on an older Node the native SQLite module crashes rather than failing
 * with a message.
 */
import { nodeVersionProblem } from '../node-version.ts';

const problem = nodeVersionProblem(process.versions.node);
if (problem !== undefined) {
  process.stderr.write(`nemesisd: ${problem}\n`);
  process.exit(1);
}
await import('../nemesisd.ts');
