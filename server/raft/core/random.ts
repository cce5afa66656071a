/**
 * A small seeded PRNG (mulberry32). Passed into the core and the simulation; never module state.
 */
import type { Random } from './types';

export class SeededRandom implements Random {
  private state: number;
  constructor(seed: number) {
    this.state = seed >>> 0;
  }
  /** A float in [0, 1). */
  nextFloat(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  nextInt(n: number): number {
    return Math.floor(this.nextFloat() * n);
  }
  /** True with probability p. */
  chance(p: number): boolean {
    return this.nextFloat() < p;
  }
  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new RangeError('pick from an empty list');
    return items[this.nextInt(items.length)]!;
  }
  /** A new independent generator derived from this one. */
  fork(): SeededRandom {
    return new SeededRandom(this.nextInt(0x7fffffff) + 1);
  }
}
