/**
 * The oldest Node.js the programs run on: package.json's `engines` (a test
 * checks that they agree). better-sqlite3 13 needs 22, and 22.18 is the first
 * 22 that runs TypeScript files without a flag. This module must load on any
 * Node.js: it is what tells an old one what to do.
 */
export const MIN_NODE_VERSION = '22.18';

/** What gets a Node.js that is new enough, run in the project's folder. */
export const NODE_ENV_COMMAND = 'source scripts/node-env.sh';

/** Why this Node.js version cannot run nemesis or nemesisd, in one line, or undefined when it can. */
export function nodeVersionProblem(version: string): string | undefined {
  const [major = 0, minor = 0] = version.split('.').map(Number);
  const [minMajor = 0, minMinor = 0] = MIN_NODE_VERSION.split('.').map(Number);
  if (major > minMajor || (major === minMajor && minor >= minMinor)) return undefined;
  return `Node.js ${MIN_NODE_VERSION} or newer is needed (24 LTS recommended); this is Node.js ${version}: in the nemesis folder, \`${NODE_ENV_COMMAND}\` puts Node.js 24 first on PATH`;
}
