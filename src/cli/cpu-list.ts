/**
 * xl's CPU list syntax (`xl vcpu-pin`, `cpus=` in a domain config): `all`, `3`,
 * `0-3,6`, and `^N` / `^N-M` to take CPUs out again (`0-3,^2` is 0,1,3; `^2`
 * alone is every pCPU but 2).
 */
export interface CpuList {
  readonly all: boolean;
  readonly include: readonly number[];
  readonly exclude: readonly number[];
}

const TOKEN = /^(\^)?(\d+)(?:-(\d+))?$/;

/** Parses the syntax; throws a RangeError naming the bad part (the caller turns it into usage). */
export function parseCpuList(text: string): CpuList {
  let all = false;
  const include: number[] = [];
  const exclude: number[] = [];
  for (const token of text.split(',').map((part) => part.trim())) {
    if (token === 'all') {
      all = true;
      continue;
    }
    const match = TOKEN.exec(token);
    if (match === null) throw new RangeError(`"${token}" is not a CPU, a range (0-3), "all" or an exclusion (^2)`);
    const first = Number(match[2]);
    const last = match[3] === undefined ? first : Number(match[3]);
    if (last < first) throw new RangeError(`"${token}" is a range that runs backwards`);
    const into = match[1] === undefined ? include : exclude;
    for (let cpu = first; cpu <= last; cpu++) into.push(cpu);
  }
  return { all: all || (include.length === 0 && exclude.length > 0), include, exclude };
}

/** Whether resolving needs the host's pCPU count (an `all`, stated or implied, minus exclusions). */
export const needsPcpuCount = (list: CpuList): boolean => list.all && list.exclude.length > 0;

/** The affinity to send: `"all"`, or the sorted pCPU ids. */
export function resolveCpuList(list: CpuList, pcpus: number): number[] | 'all' {
  if (list.all && list.exclude.length === 0) return 'all';
  const chosen = new Set(list.all ? Array.from({ length: pcpus }, (_, i) => i) : list.include);
  for (const cpu of list.exclude) chosen.delete(cpu);
  if (chosen.size === 0) throw new RangeError('the CPU list leaves no CPU');
  return [...chosen].sort((a, b) => a - b);
}

/** An affinity the way xl prints it: `all`, or ranges such as `0-3,6`. */
export function formatCpuList(affinity: readonly number[] | 'all'): string {
  if (affinity === 'all') return 'all';
  const sorted = [...affinity].sort((a, b) => a - b);
  const parts: string[] = [];
  for (let i = 0; i < sorted.length; ) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1] === (sorted[j] as number) + 1) j++;
    parts.push(i === j ? `${sorted[i]}` : `${sorted[i]}-${sorted[j]}`);
    i = j + 1;
  }
  return parts.join(',');
}
