/**
 * A running hash of every context switch (when, where, what), so two runs can
 * be compared in one string: equal seeds and operations give equal hashes.
 * Two 32-bit FNV-1a lanes with different offsets make a 64-bit value.
 */
const FNV_PRIME = 0x01000193;

export class TraceHash {
  private low = 0x811c9dc5;
  private high = 0x050c5d1f;

  /** The switch's five words, hashed in one pass over locals (a call and two field writes a word cost a small host a few percent). */
  private readonly words = new Uint32Array(5);

  switch(now_ns: number, pcpu: number, domid: number, vcpu: number): void {
    const words = this.words;
    // The low and high 32 bits of a whole ns count below 2^53 (>>> 0 is its remainder by 2^32, without a float modulo).
    const low = now_ns >>> 0;
    words[0] = low;
    words[1] = (now_ns - low) / 0x100000000;
    // An idle switch's -1 is stored as 0xffffffff, the bytes `>>>` reads from -1.
    words[2] = pcpu;
    words[3] = domid;
    words[4] = vcpu;
    let lowLane = this.low;
    let highLane = this.high;
    for (let i = 0; i < words.length; i++) {
      const word = words[i]!;
      for (let shift = 0; shift < 32; shift += 8) {
        const byte = (word >>> shift) & 0xff;
        lowLane = Math.imul(lowLane ^ byte, FNV_PRIME);
        highLane = Math.imul(highLane ^ (byte ^ 0x5a), FNV_PRIME);
      }
    }
    this.low = lowLane;
    this.high = highLane;
  }

  hex(): string {
    return (this.high >>> 0).toString(16).padStart(8, '0') + (this.low >>> 0).toString(16).padStart(8, '0');
  }
}
