/**
 * The seeded generator the workloads draw their inputs from (mulberry32). Each workload builds
 * its own generator from a fixed seed, so its inputs are the same in every run, for every library,
 * and do not depend on which other workloads were selected.
 */
import { mulberry32 } from '../../lib/random';
export class Prng {
  private readonly generate: () => number;

  constructor(seed: number) {

    this.generate = mulberry32(seed);
  }

  /** A float in [0, 1). */
  next(): number {
    return this.generate();
  }

  /** An integer in [min, max], both inclusive (like lib0's `prng.int32`/`uint32`). */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  /** true or false with equal odds. */
  bool(): boolean {
    return this.next() < 0.5;
  }

  /** A word of lowercase ASCII letters whose length is in [minLength, maxLength] (lib0's `prng.word`). */
  word(minLength: number, maxLength: number): string {
    const length = this.int(minLength, maxLength);
    let word = "";
    for (let i = 0; i < length; i++) word += String.fromCharCode(97 + this.int(0, 25));
    return word;
  }
}
