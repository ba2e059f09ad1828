// A small seeded generator (mulberry32), so a failing fuzz run can be replayed exactly:
// every fuzz test prints its seed, and FUZZ_SEED=<seed> repeats it.
export class Random {
  private state: number;
  readonly seed: number;

  constructor(seed: number) {
    this.seed = seed >>> 0;
    this.state = this.seed;
  }

  next(): number {
    let t = (this.state = (this.state + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  int(below: number): number {
    return Math.floor(this.next() * below);
  }

  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)]!;
  }

  bytes(length: number): Buffer {
    const buffer = Buffer.alloc(length);
    for (let i = 0; i < length; i++) buffer[i] = this.int(256);
    return buffer;
  }

  /** A copy with a few bytes flipped, dropped or duplicated. */
  mutate(input: Buffer): Buffer {
    const bytes = [...input];
    const edits = 1 + this.int(4);
    for (let i = 0; i < edits && bytes.length > 0; i++) {
      const at = this.int(bytes.length);
      const kind = this.int(3);
      if (kind === 0) bytes[at] = this.int(256);
      else if (kind === 1) bytes.splice(at, 1);
      else bytes.splice(at, 0, bytes[at]!);
    }
    return Buffer.from(bytes);
  }
}

export function fuzzSeed(): number {
  return process.env.FUZZ_SEED ? Number(process.env.FUZZ_SEED) : Math.floor(Math.random() * 2 ** 31);
}

/** How many sessions a fuzz test runs: small in `npm test`, larger with FUZZ_SESSIONS. */
export function fuzzSessions(small: number): number {
  return process.env.FUZZ_SESSIONS ? Number(process.env.FUZZ_SESSIONS) : small;
}
