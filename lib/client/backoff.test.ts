import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { backoffCeilingMs, backoffDelayMs, DEFAULT_BACKOFF, type BackoffOptions } from './backoff';
import { mulberry32 } from '../random';

/** A seeded PRNG (mulberry32) so every schedule is reproducible. */
function seededRandom(seed: number): () => number {
  return mulberry32(seed);
}

describe('backoff schedule', () => {
  const options: BackoffOptions = { baseMs: 100, maxMs: 5_000, factor: 2, jitter: 0.5 };

  it('ceilings double from the base and stop at the cap', () => {
    const ceilings = Array.from({ length: 10 }, (_, attempt) => backoffCeilingMs(attempt, options));
    expect(ceilings).toEqual([100, 200, 400, 800, 1600, 3200, 5000, 5000, 5000, 5000]);
  });

  it('jitter spans [ceiling * (1 - jitter), ceiling]', () => {
    expect(backoffDelayMs(3, () => 0, options)).toBe(400);
    expect(backoffDelayMs(3, () => 0.999999, options)).toBe(800);
    expect(backoffDelayMs(3, () => 0.5, options)).toBe(600);
  });

  it('full jitter can retry at once; no jitter is exact', () => {
    expect(backoffDelayMs(2, () => 0, { ...options, jitter: 1 })).toBe(0);
    expect(backoffDelayMs(2, () => 0.73, { ...options, jitter: 0 })).toBe(400);
  });

  it('a seeded schedule is reproducible and stays inside its bounds', () => {
    const scheduleA = Array.from({ length: 12 }, (_, attempt) => backoffDelayMs(attempt, seededRandom(7)));
    const scheduleB = Array.from({ length: 12 }, (_, attempt) => backoffDelayMs(attempt, seededRandom(7)));
    expect(scheduleA).toEqual(scheduleB);
    scheduleA.forEach((delay, attempt) => {
      const ceiling = backoffCeilingMs(attempt);
      expect(delay).toBeGreaterThanOrEqual(ceiling * (1 - DEFAULT_BACKOFF.jitter));
      expect(delay).toBeLessThanOrEqual(ceiling);
    });
  });

  it('property: delays are bounded by the cap and huge attempt numbers do not overflow', () => {
    fc.assert(
      fc.property(fc.integer({ min: -5, max: 5000 }), fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }), (attempt, r) => {
        const delay = backoffDelayMs(attempt, () => r, options);
        return Number.isFinite(delay) && delay >= 0 && delay <= options.maxMs;
      }),
      { seed: 1234 },
    );
  });
});
