/**
 * A seeded pseudo-random generator (mulberry32): the simulation never reads
 * Math.random, so a run replays exactly from its seed. Its state is one plain
 * field, so a snapshot of the host copies it with the rest (snapshot.ts).
 */
export interface Random {
  /** A float in [0, 1). */
  next(): number;
}

class Mulberry32 implements Random {
  state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
}

export function createRandom(seed: number): Random {
  return new Mulberry32(seed);
}
