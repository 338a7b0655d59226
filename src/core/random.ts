// Seeded randomness for everything a run draws: the validation split, epoch shuffles, new-layer
// initialization and dropout masks. Every seed a run derives from its `seed` is derived here. A generator is a pure function of (seed, stream), so a resumed
// run draws exactly what the uninterrupted run drew, without saving generator state.

/** splitmix64-style mixing on two 32-bit halves: a well-distributed 32-bit hash of (seed, stream, counter). */
function mix32(a: number, b: number): number {
  let h = Math.imul(a ^ 0x9e3779b9, 0x85ebca6b) ^ b;
  h = Math.imul(h ^ (h >>> 16), 0x7feb352d);
  h = Math.imul(h ^ (h >>> 15), 0x846ca68b);
  return (h ^ (h >>> 16)) >>> 0;
}

/** A deterministic generator (xoshiro128**) seeded from a seed and a named stream. */
export class Random {
  private s0: number;
  private s1: number;
  private s2: number;
  private s3: number;
  private spareNormal: number | undefined;

  constructor(seed: number, stream: string | number = 0) {
    const streamHash = typeof stream === 'number' ? stream >>> 0 : hashString(stream);
    this.s0 = mix32(seed >>> 0, streamHash);
    this.s1 = mix32(this.s0, 0x243f6a88);
    this.s2 = mix32(this.s1, 0x85a308d3);
    this.s3 = mix32(this.s2, 0x13198a2e) || 1;
  }

  /** A uniform 32-bit unsigned integer. */
  nextUint32(): number {
    const result = Math.imul(rotl(Math.imul(this.s1, 5), 7), 9) >>> 0;
    const t = this.s1 << 9;
    this.s2 ^= this.s0;
    this.s3 ^= this.s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = rotl(this.s3, 11);
    return result;
  }

  /** Uniform in [0, 1) with 32 bits of resolution. */
  next(): number {
    return this.nextUint32() / 4294967296;
  }

  /** Uniform integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  /** Standard normal (Box-Muller). */
  normal(): number {
    if (this.spareNormal !== undefined) {
      const spare = this.spareNormal;
      this.spareNormal = undefined;
      return spare;
    }
    let u = 0;
    while (u === 0) u = this.next();
    const v = this.next();
    const r = Math.sqrt(-2 * Math.log(u));
    this.spareNormal = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  }

  /** Fisher-Yates shuffle in place. */
  shuffle<T extends { length: number; [i: number]: unknown }>(items: T): T {
    for (let i = items.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const tmp = items[i];
      items[i] = items[j];
      items[j] = tmp;
    }
    return items;
  }
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

export function hashString(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/** A permutation of 0..n-1, as the order of one epoch. */
export function permutation(n: number, random: Random): Uint32Array {
  const order = new Uint32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  return random.shuffle(order);
}

/** Odd multipliers for the counters `combineSeed` mixes in, one per position. */
const COUNTER_MIXERS = [0x9e3779b1, 0x85ebca77];

/** A seed combined with up to two counters (a step; a layer and a site), each spread by its own odd constant. */
function combineSeed(seed: number, ...counters: number[]): number {
  let h = seed >>> 0;
  counters.forEach((counter, i) => {
    h = (h ^ Math.imul(counter + 1, COUNTER_MIXERS[i])) >>> 0;
  });
  return h;
}

/** The dropout seed of one optimizer step of a run: a function of (seed, step), so a resumed run draws the same masks. */
export function stepDropoutSeed(runSeed: number, step: number): number {
  return combineSeed(hashString(`dropout-${runSeed}`), step);
}

/** The dropout seed of micro-batch `index` of a step (gradient accumulation): the step's own for the first. */
export function microBatchDropoutSeed(stepSeed: number, index: number): number {
  return (stepSeed + index * 0x9e3779b9) >>> 0;
}

/** A seed per (step seed, layer, site), so every dropout mask of a step is distinct and reproducible. */
export function dropoutSiteSeed(stepSeed: number, layer: number, site: number): number {
  const h = combineSeed(stepSeed, layer, site);
  return Math.imul(h ^ (h >>> 15), 0x2c1b3c6d) >>> 0;
}
