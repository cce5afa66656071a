/**
 * Jittered exponential backoff for reconnecting to relays. Pure: randomness is passed in, and the
 * caller owns the timers.
 */

/** Backoff tuning. Invariant: 0 < baseMs <= maxMs, 0 <= jitter <= 1. */
export interface BackoffOptions {
  /** Ceiling of the first retry delay. */
  readonly baseMs: number;
  /** No delay ever exceeds this. */
  readonly maxMs: number;
  /** Growth factor per failed attempt (2 = doubling). */
  readonly factor: number;
  /**
   * Share of the ceiling that is randomised: the delay is uniform in
   * `[ceiling * (1 - jitter), ceiling]`. 1 is "full jitter", 0 is no jitter.
   */
  readonly jitter: number;
}

/** Defaults for a browser: first retry within 0.25–0.5 s, at most 15 s apart. */
export const DEFAULT_BACKOFF: BackoffOptions = { baseMs: 500, maxMs: 15_000, factor: 2, jitter: 0.5 };

/** The ceiling (delay before jitter) of retry number `attempt` (0-based): min(max, base * factor^attempt). */
export function backoffCeilingMs(attempt: number, options: BackoffOptions = DEFAULT_BACKOFF): number {
  const safeAttempt = Math.max(0, Math.floor(attempt));
  const ceiling = options.baseMs * Math.pow(options.factor, safeAttempt);
  return Math.min(options.maxMs, Number.isFinite(ceiling) ? ceiling : options.maxMs);
}

/**
 * The delay before retry number `attempt` (0-based), in whole milliseconds.
 * `random` returns numbers in [0, 1).
 */
export function backoffDelayMs(
  attempt: number,
  random: () => number,
  options: BackoffOptions = DEFAULT_BACKOFF,
): number {
  const ceiling = backoffCeilingMs(attempt, options);
  const r = Math.min(Math.max(random(), 0), 1);
  return Math.round(ceiling * (1 - options.jitter) + ceiling * options.jitter * r);
}
