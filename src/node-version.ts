/** The oldest Node.js line the daemon runs on: better-sqlite3 13 needs 22. */
export const MIN_NODE_MAJOR = 22;

/** Why this Node.js version cannot run the daemon, or undefined when it can. */
export function nodeVersionProblem(version: string): string | undefined {
  const major = Number(version.split('.')[0]);
  if (Number.isInteger(major) && major >= MIN_NODE_MAJOR) return undefined;
  return `Node.js ${MIN_NODE_MAJOR} or newer is needed (24 LTS recommended); this is Node.js ${version}`;
}
