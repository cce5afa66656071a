/**
 * A token bucket for per-connection message rate limits. Time is passed in (milliseconds), so
 * the bucket is deterministic and testable without timers.
 *
 * Invariant: `0 <= tokens <= capacity`. A message costs one token; tokens refill continuously at
 * `refillPerSecond`, up to `capacity` (the allowed burst).
 */
export interface TokenBucketOptions {
  /** Largest burst of messages allowed at once. Must be >= 1. */
  readonly capacity: number;
  /** Sustained messages per second. Must be >= 0. */
  readonly refillPerSecond: number;
}

/** Thrown for nonsensical bucket options. */
export class RateLimitConfigError extends Error {
  override readonly name = 'RateLimitConfigError';
}

export class TokenBucket {
  private tokens: number;
  private last: number;

  constructor(
    private readonly options: TokenBucketOptions,
    now: number,
  ) {
    if (!(options.capacity >= 1) || !Number.isFinite(options.capacity)) {
      throw new RateLimitConfigError(`capacity must be a finite number >= 1, got ${options.capacity}`);
    }
    if (!(options.refillPerSecond >= 0) || !Number.isFinite(options.refillPerSecond)) {
      throw new RateLimitConfigError(`refillPerSecond must be a finite number >= 0, got ${options.refillPerSecond}`);
    }
    this.tokens = options.capacity;
    this.last = now;
  }

  /** Takes `cost` tokens at time `now` if available; returns false (taking nothing) otherwise. */
  tryTake(now: number, cost = 1): boolean {
    const elapsed = Math.max(0, now - this.last); // a clock that goes backwards refills nothing
    this.last = Math.max(this.last, now);
    this.tokens = Math.min(this.options.capacity, this.tokens + (elapsed / 1000) * this.options.refillPerSecond);
    if (this.tokens < cost) return false;
    this.tokens -= cost;
    return true;
  }

  /** Tokens available at the last `tryTake` (for tests and stats). */
  get available(): number {
    return this.tokens;
  }
}
