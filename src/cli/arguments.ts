/** Parsers for flag and argument values: a bad value is a usage error (commander prints the usage, exit 2). */
import { InvalidArgumentError } from 'commander';
import type { Schemas } from './client.ts';
import { parseCpuList, type CpuList } from './cpu-list.ts';

/** A whole number of at least `min`; the daemon checks the upper bounds and names the field. */
export const integer =
  (min = 0) =>
  (text: string): number => {
    if (!/^\d+$/.test(text) || Number(text) < min) throw new InvalidArgumentError(`expected a whole number${min > 0 ? ` >= ${min}` : ''}`);
    return Number(text);
  };

export function number(text: string): number {
  const value = Number(text);
  if (text.trim() === '' || !Number.isFinite(value) || value < 0) throw new InvalidArgumentError('expected a number >= 0');
  return value;
}

const DUTY = /^duty:(\d+(?:\.\d+)?)\/(\d+(?:\.\d+)?)$/;

/** `cpu`, `idle` or `duty:RUN_MS/SLEEP_MS`. */
export function workload(text: string): Schemas['Workload'] {
  if (text === 'cpu' || text === 'idle') return { type: text };
  const duty = DUTY.exec(text);
  if (duty === null) throw new InvalidArgumentError('expected cpu, idle or duty:RUN_MS/SLEEP_MS');
  return { type: 'duty', run_ms: Number(duty[1]), sleep_ms: Number(duty[2]) };
}

export function cpuList(text: string): CpuList {
  try {
    return parseCpuList(text);
  } catch (error) {
    throw new InvalidArgumentError((error as Error).message);
  }
}

export type Credit2Runqueue = NonNullable<Schemas['CreateCpupoolRequest']['credit2_runqueue']>;
const RUNQUEUE_ARRANGEMENTS: readonly Credit2Runqueue[] = ['cpu', 'core', 'socket', 'node', 'all'];

/** credit2's runqueue arrangement: cpu, core, socket, node or all. */
export function runqueueArrangement(text: string): Credit2Runqueue {
  const found = RUNQUEUE_ARRANGEMENTS.find((name) => name === text);
  if (found === undefined) throw new InvalidArgumentError(`expected one of ${RUNQUEUE_ARRANGEMENTS.join(', ')}`);
  return found;
}
