/**
 * The node flags on a program's first line (`#!/usr/bin/env -S node <flags>`),
 * so that a test or a bench runs it as it ships; none for `#!/usr/bin/env node`.
 */
import { readFileSync } from 'node:fs';

export function programNodeFlags(path: string): string[] {
  const line = readFileSync(path, 'utf8').split('\n')[0]!;
  const match = /^#!\/usr\/bin\/env (?:-S )?node( .+)?$/.exec(line);
  if (match === null) throw new Error(`${path}: the first line does not run node: ${line}`);
  return match[1]?.trim().split(' ') ?? [];
}
