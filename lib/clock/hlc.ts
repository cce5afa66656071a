/**
 * Hybrid logical clocks (Kulkarni, Demirbas et al., "Logical Physical Clocks and Consistent
 * Snapshots in Globally Distributed Databases", 2014). A timestamp is `{ wallMs, logical }`: the
 * largest physical time seen and a counter that orders events within one millisecond. Timestamps
 * are totally ordered by (wallMs, logical, replica).
 */
import type { ReplicaId } from './replica';

/** A hybrid timestamp. Invariant: both parts are non-negative safe integers. */
export interface HlcTimestamp {
  readonly wallMs: number;
  readonly logical: number;
}

/** Thrown by `Hlc.receive` when a remote wall time is too far ahead of local physical time. */
export class ClockSkewError extends Error {
  override readonly name = 'ClockSkewError';
  constructor(
    readonly remoteWallMs: number,
    readonly localWallMs: number,
    readonly maxSkewMs: number,
  ) {
    super(`remote clock ${remoteWallMs} ms is ${remoteWallMs - localWallMs} ms ahead of local ${localWallMs} ms (max skew ${maxSkewMs} ms)`);
  }
}

/** Compares two timestamps (wallMs, then logical). */
export function compareHlc(a: HlcTimestamp, b: HlcTimestamp): number {
  if (a.wallMs !== b.wallMs) return a.wallMs < b.wallMs ? -1 : 1;
  return a.logical - b.logical;
}

/** Compares two stamped events: timestamp first, replica id breaks ties. */
export function compareStamped(a: HlcTimestamp, replicaA: ReplicaId, b: HlcTimestamp, replicaB: ReplicaId): number {
  const order = compareHlc(a, b);
  if (order !== 0) return order;
  if (replicaA === replicaB) return 0;
  return replicaA < replicaB ? -1 : 1;
}

/** Options of an `Hlc`. */
export interface HlcOptions {
  /** Physical time in ms (injected: nothing in lib/ reads `Date.now` itself). */
  readonly now: () => number;
  /** The most a remote wall time may be ahead of local physical time; default 60 000. */
  readonly maxSkewMs?: number;
}

export const DEFAULT_MAX_SKEW_MS = 60_000;

/**
 * A hybrid logical clock. Invariant: every timestamp handed out or observed is <= `last`, and
 * `tick`/`receive` return a timestamp strictly greater than `last`.
 */
export class Hlc {
  private wallMs = 0;
  private logical = 0;
  private readonly now: () => number;
  readonly maxSkewMs: number;

  constructor(options: HlcOptions) {
    this.now = options.now;
    this.maxSkewMs = options.maxSkewMs ?? DEFAULT_MAX_SKEW_MS;
  }

  /** The last timestamp handed out or observed. */
  get last(): HlcTimestamp {
    return { wallMs: this.wallMs, logical: this.logical };
  }

  /** A local event: a timestamp greater than every one seen so far. */
  tick(): HlcTimestamp {
    const physical = this.physical();
    if (physical > this.wallMs) {
      this.wallMs = physical;
      this.logical = 0;
    } else {
      this.logical += 1;
    }
    return this.last;
  }

  /** Throws `ClockSkewError` when `remote` is too far ahead to be received; changes nothing. */
  checkSkew(remote: HlcTimestamp): void {
    const physical = this.physical();
    if (remote.wallMs - physical > this.maxSkewMs) throw new ClockSkewError(remote.wallMs, physical, this.maxSkewMs);
  }

  /**
   * A remote event stamped `remote`: returns a timestamp greater than both `remote` and every
   * timestamp seen so far. Throws `ClockSkewError` (clock unchanged) when `remote.wallMs` is more
   * than `maxSkewMs` ahead of local physical time.
   */
  receive(remote: HlcTimestamp): HlcTimestamp {
    this.checkSkew(remote);
    return this.observe(remote);
  }

  /**
   * `receive` without the skew check, for a timestamp that already passed `checkSkew` (so that a
   * caller can validate a whole batch first and then integrate it without any throw).
   */
  observe(remote: HlcTimestamp): HlcTimestamp {
    const physical = this.physical();
    const wall = Math.max(physical, this.wallMs, remote.wallMs);
    if (wall === this.wallMs && wall === remote.wallMs) this.logical = Math.max(this.logical, remote.logical) + 1;
    else if (wall === this.wallMs) this.logical += 1;
    else if (wall === remote.wallMs) this.logical = remote.logical + 1;
    else this.logical = 0;
    this.wallMs = wall;
    return this.last;
  }

  /** Physical time, clamped to a non-negative integer so injected clocks cannot break invariants. */
  private physical(): number {
    const value = Math.floor(this.now());
    return Number.isFinite(value) && value > 0 ? value : 0;
  }
}
