/**
 * What `top` shows, computed from two samples of the API: CPU(%) is the CPU time
 * a domain gained over the simulated time that passed between them (100 = one
 * pCPU, as xentop), so it is exact whatever the clock's speed. Pure: tested alone.
 */
import type { Domain, SchedulingDomain, Schemas } from './client.ts';

export interface Sample {
  readonly now_ns: number;
  /** The clock's speed (0 = frozen: simulated time moves only when advanced). */
  readonly speed: number;
  readonly domains: readonly Domain[];
  readonly groups: readonly SchedulingDomain[];
  readonly pcpus: readonly Schemas['Pcpu'][];
}

export interface TopRow {
  readonly name: string;
  readonly id: number;
  readonly state: string;
  readonly cpu_ns: number;
  readonly cpu_pct: number;
  readonly vcpus: number;
  readonly weight: number;
  readonly cap: number;
  readonly group: string;
  /** Its cpupool's name: only when some domain lives outside Pool-0 (the POOL column shows then). */
  readonly cpupool?: string;
  /** Rows under a folded group's line. */
  readonly members?: readonly TopRow[];
}

export interface Frame {
  readonly now_ns: number;
  /** Simulated time the figures cover: since the last frame, or (the first frame) since boot. */
  readonly interval_ns: number;
  readonly since: 'boot' | 'last frame';
  readonly clock_frozen: boolean;
  readonly pcpus: number;
  readonly busy_pct: number;
  readonly rows: readonly TopRow[];
}

/**
 * The two samples a frame compares: the last frame's and this one. On a frozen
 * clock no simulated time passes between them, and the frame says so (CPU(%)
 * 0: nothing ran) rather than repeating older figures as if they were new.
 */
export interface Window {
  readonly baseline?: Sample;
  readonly current: Sample;
}

export function nextWindow(window: Window | undefined, sample: Sample): Window {
  return window === undefined ? { current: sample } : { baseline: window.current, current: sample };
}

const percent = (part: number, whole: number): number => (whole <= 0 ? 0 : (100 * part) / whole);

/** The pool every domain lives in until cpupools are made. */
export const POOL0_NAME = 'Pool-0';

export function computeFrame({ baseline, current }: Window): Frame {
  const start_ns = baseline?.now_ns ?? 0;
  const interval_ns = current.now_ns - start_ns;
  const before = new Map(baseline?.domains.map((d) => [d.id, d.cpu_time_ns]));
  const names = new Map(current.domains.map((d) => [d.id, d.name]));
  const groupOf = new Map<number, number>();
  for (const g of current.groups) {
    groupOf.set(g.master, g.master);
    for (const m of g.members) groupOf.set(m.domain, g.master);
  }
  const pooled = current.domains.some((d) => d.cpupool !== POOL0_NAME);
  const rows = current.domains.map((d): TopRow => {
    const master = groupOf.get(d.id);
    const gained_ns = Math.max(0, d.cpu_time_ns - (before.get(d.id) ?? 0));
    return {
      name: d.name, id: d.id, state: d.state, cpu_ns: d.cpu_time_ns, cpu_pct: percent(gained_ns, interval_ns), vcpus: d.vcpus,
      weight: d.sched.weight, cap: d.sched.cap, group: master === undefined ? '-' : (names.get(master) ?? String(master)),
      ...(pooled ? { cpupool: d.cpupool } : {}),
    };
  });
  const busy = (sample: Sample | undefined) => sample?.pcpus.reduce((sum, p) => sum + p.busy_ns, 0) ?? 0;
  const busy_ns = busy(current) - busy(baseline);
  return {
    now_ns: current.now_ns,
    interval_ns,
    since: baseline === undefined ? 'boot' : 'last frame',
    clock_frozen: current.speed === 0,
    pcpus: current.pcpus.length,
    busy_pct: percent(busy_ns, interval_ns * current.pcpus.length),
    rows,
  };
}

export const SORT_KEYS = {
  n: { title: 'NAME', by: (a: TopRow, b: TopRow) => a.name.localeCompare(b.name) },
  s: { title: 'STATE', by: (a: TopRow, b: TopRow) => a.state.localeCompare(b.state) },
  c: { title: 'CPU(sec)', by: (a: TopRow, b: TopRow) => b.cpu_ns - a.cpu_ns },
  p: { title: 'CPU(%)', by: (a: TopRow, b: TopRow) => b.cpu_pct - a.cpu_pct },
  v: { title: 'VCPUS', by: (a: TopRow, b: TopRow) => b.vcpus - a.vcpus },
  w: { title: 'WEIGHT', by: (a: TopRow, b: TopRow) => b.weight - a.weight },
  i: { title: 'ID', by: (a: TopRow, b: TopRow) => a.id - b.id },
} as const;
export type SortKey = keyof typeof SORT_KEYS;

export interface View {
  readonly sort: SortKey;
  readonly reverse: boolean;
  readonly fold: boolean;
}

/** Rows in display order; folded, each group is one line (its totals) with its domains under it. */
export function arrange(rows: readonly TopRow[], view: View): TopRow[] {
  const order = (list: readonly TopRow[]) => {
    const sorted = [...list].sort((a, b) => SORT_KEYS[view.sort].by(a, b) || a.id - b.id);
    return view.reverse ? sorted.reverse() : sorted;
  };
  if (!view.fold) return order(rows);
  const groups = new Map<string, TopRow[]>();
  const top: TopRow[] = [];
  for (const row of rows) {
    if (row.group === '-') top.push(row);
    else groups.set(row.group, [...(groups.get(row.group) ?? []), row]);
  }
  for (const [name, members] of groups) {
    const master = members.find((m) => m.name === name) ?? (members[0] as TopRow);
    const sum = (pick: (row: TopRow) => number) => members.reduce((total, m) => total + pick(m), 0);
    top.push({
      ...master, name, state: master.state, cpu_ns: sum((m) => m.cpu_ns), cpu_pct: sum((m) => m.cpu_pct), vcpus: sum((m) => m.vcpus),
      members: order(members),
    });
  }
  return order(top);
}
