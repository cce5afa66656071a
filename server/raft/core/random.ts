/**
 * A small seeded PRNG (mulberry32). Passed into the core and the simulation; never module state.
 */
import type { Random } from './types';
import { mulberry32 } from '../../../lib/random';

export class SeededRandom implements Random {
  private readonly generate: () => number;
  constructor(seed: number) {
    this.generate = mulberry32(seed);
  }
  /** A float in [0, 1). */
  nextFloat(): number {
    return this.generate();
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
