/**
 * Version vectors (state vectors): per replica, the number of clock units seen.
 * A replica's operations apply strictly in clock order, so `vv[r] = n` means clocks `0 .. n-1` of
 * `r` are all known. A missing entry means 0.
 */
import type { Id, ReplicaId } from './replica';

/** Per replica, the count of clock units known. Invariant: every value is a positive safe integer (0 entries are omitted or ignored). */
export type VersionVector = Map<ReplicaId, number>;

/** How two version vectors relate causally. */
export type VersionOrder = 'before' | 'after' | 'equal' | 'concurrent';

/** The clock count of `replica` in `vv` (0 when absent). */
export function clockOf(vv: ReadonlyMap<ReplicaId, number>, replica: ReplicaId): number {
  return vv.get(replica) ?? 0;
}

/**
 * Compares `a` to `b`: 'before' when a < b (every entry <=, one <), 'after' when a > b,
 * 'equal' when identical, 'concurrent' otherwise.
 */
export function compareVersionVectors(a: ReadonlyMap<ReplicaId, number>, b: ReadonlyMap<ReplicaId, number>): VersionOrder {
  let less = false;
  let greater = false;
  const replicas = new Set<ReplicaId>([...a.keys(), ...b.keys()]);
  for (const replica of replicas) {
    const x = clockOf(a, replica);
    const y = clockOf(b, replica);
    if (x < y) less = true;
    else if (x > y) greater = true;
    if (less && greater) return 'concurrent';
  }
  if (less) return 'before';
  if (greater) return 'after';
  return 'equal';
}

/** The pointwise maximum of the given vectors (a new map; zero entries dropped). */
export function mergeVersionVectors(...vectors: ReadonlyMap<ReplicaId, number>[]): VersionVector {
  const result: VersionVector = new Map();
  for (const vv of vectors) {
    for (const [replica, clock] of vv) {
      if (clock > (result.get(replica) ?? 0)) result.set(replica, clock);
    }
  }
  return result;
}

/** True when the vector covers the clock unit `id` (it has seen `id.clock` of `id.replica`). */
export function covers(vv: ReadonlyMap<ReplicaId, number>, id: Id): boolean {
  return id.clock < clockOf(vv, id.replica);
}

/** True when `a` covers every unit `b` covers (a >= b pointwise). */
export function dominates(a: ReadonlyMap<ReplicaId, number>, b: ReadonlyMap<ReplicaId, number>): boolean {
  for (const [replica, clock] of b) if (clockOf(a, replica) < clock) return false;
  return true;
}

/** Equality ignoring zero entries. */
export function versionVectorsEqual(a: ReadonlyMap<ReplicaId, number>, b: ReadonlyMap<ReplicaId, number>): boolean {
  return compareVersionVectors(a, b) === 'equal';
}
