import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RateLimitConfigError, TokenBucket } from './rate-limit';

const seed = Number(process.env.FC_SEED ?? 4100);

describe('TokenBucket', () => {
  it('allows a burst of exactly `capacity`, then refuses until tokens refill', () => {
    const bucket = new TokenBucket({ capacity: 3, refillPerSecond: 2 }, 0);
    expect([1, 2, 3, 4].map(() => bucket.tryTake(0))).toEqual([true, true, true, false]);
    expect(bucket.tryTake(499)).toBe(false);
    expect(bucket.tryTake(500)).toBe(true);
  });

  it('never holds more than capacity however long it idles', () => {
    const bucket = new TokenBucket({ capacity: 2, refillPerSecond: 100 }, 0);
    bucket.tryTake(1e9);
    expect(bucket.available).toBeLessThanOrEqual(2);
  });

  it('over any schedule, accepted messages <= capacity + rate × elapsed (the limit it promises)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 20 }),
        fc.integer({ min: 0, max: 50 }),
        fc.array(fc.integer({ min: 0, max: 200 }), { maxLength: 300 }),
        (capacity, rate, gaps) => {
          const bucket = new TokenBucket({ capacity, refillPerSecond: rate }, 0);
          let now = 0;
          let accepted = 0;
          for (const gap of gaps) {
            now += gap;
            if (bucket.tryTake(now)) accepted++;
          }
          expect(accepted).toBeLessThanOrEqual(capacity + (rate * now) / 1000 + 1e-9);
        },
      ),
      { seed, numRuns: 1000 },
    );
  });

  it('refuses nonsensical options with RateLimitConfigError', () => {
    expect(() => new TokenBucket({ capacity: 0, refillPerSecond: 1 }, 0)).toThrow(RateLimitConfigError);
    expect(() => new TokenBucket({ capacity: 1, refillPerSecond: -1 }, 0)).toThrow(RateLimitConfigError);
    expect(() => new TokenBucket({ capacity: Number.NaN, refillPerSecond: 1 }, 0)).toThrow(RateLimitConfigError);
  });
});
