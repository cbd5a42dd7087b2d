/**
 * A running hash of every context switch (when, where, what), so two runs can
 * be compared in one string: equal seeds and operations give equal hashes.
 * Two 32-bit FNV-1a lanes with different offsets make a 64-bit value.
 */
const FNV_PRIME = 0x01000193;

export class TraceHash {
  private low = 0x811c9dc5;
  private high = 0x050c5d1f;

  switch(now_ns: number, pcpu: number, domid: number, vcpu: number): void {
    // The low and high 32 bits of a whole ns count below 2^53 (>>> 0 is its remainder by 2^32, without a float modulo).
    const low = now_ns >>> 0;
    this.mix(low);
    this.mix((now_ns - low) / 0x100000000);
    this.mix(pcpu);
    this.mix(domid);
    this.mix(vcpu);
  }

  hex(): string {
    return (this.high >>> 0).toString(16).padStart(8, '0') + (this.low >>> 0).toString(16).padStart(8, '0');
  }

  private mix(word: number): void {
    let low = this.low;
    let high = this.high;
    for (let shift = 0; shift < 32; shift += 8) {
      const byte = (word >>> shift) & 0xff;
      low = Math.imul(low ^ byte, FNV_PRIME);
      high = Math.imul(high ^ (byte ^ 0x5a), FNV_PRIME);
    }
    this.low = low;
    this.high = high;
  }
}
