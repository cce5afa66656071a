/**
 * Replica ids and operation ids: the names every CRDT operation carries.
 */

declare const replicaBrand: unique symbol;

/** A replica (one document session) id: an unsigned 32-bit integer, random per session. */
export type ReplicaId = number & { readonly [replicaBrand]: true };

/** The largest replica id (2^32 - 1). */
export const MAX_REPLICA_ID = 0xffff_ffff;

/** Thrown when a number is not a valid replica id (not an integer in [0, 2^32)). */
export class InvalidReplicaIdError extends Error {
  override readonly name = 'InvalidReplicaIdError';
  constructor(readonly value: unknown) {
    super(`invalid replica id ${String(value)}: expected an integer in [0, 2^32)`);
  }
}

/** True when `value` is an integer in [0, 2^32). */
export function isReplicaId(value: unknown): value is ReplicaId {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= MAX_REPLICA_ID;
}

/** Brands a number as a replica id; throws `InvalidReplicaIdError` when out of range. */
export function asReplicaId(value: number): ReplicaId {
  if (!isReplicaId(value)) throw new InvalidReplicaIdError(value);
  return value;
}

/** Draws a replica id from `random` (uniform in [0, 1), e.g. a seeded PRNG or `Math.random` at the edge). */
export function randomReplicaId(random: () => number): ReplicaId {
  const value = Math.floor(random() * (MAX_REPLICA_ID + 1));
  return asReplicaId(Math.min(Math.max(value, 0), MAX_REPLICA_ID));
}

/**
 * The id of one clock unit of one replica (a character, a set add, a map write...).
 * Invariant: `clock` is a non-negative safe integer.
 */
export interface Id {
  readonly replica: ReplicaId;
  readonly clock: number;
}

/** Builds an id. */
export function createId(replica: ReplicaId, clock: number): Id {
  return { replica, clock };
}

/** Orders ids by replica, then clock (a total order used for canonical encodings). */
export function compareIds(a: Id, b: Id): number {
  if (a.replica !== b.replica) return a.replica < b.replica ? -1 : 1;
  return a.clock - b.clock;
}

/** True when both ids name the same clock unit. */
export function idsEqual(a: Id | null, b: Id | null): boolean {
  if (a === null || b === null) return a === b;
  return a.replica === b.replica && a.clock === b.clock;
}
