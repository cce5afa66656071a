/**
 * The delete set: a grow-only set of id ranges (Yjs-style), kept per replica as sorted, disjoint,
 * non-adjacent `[start, end)` ranges. It is a CRDT of its own (union) and its size is the number
 * of maximal deleted runs, not the number of deleted items.
 */
import type { IdRange } from './rga/types';

/** What `intersect` returns when nothing is deleted (frozen, shared). */
const NOTHING: IdRange[] = Object.freeze([]) as unknown as IdRange[];

/** A compact set of id ranges. Invariant: per replica, `bounds` is [s0, e0, s1, e1, ...] with s0 < e0 < s1 < e1 ... */
export class DeleteSet {
  private readonly byReplica = new Map<number, number[]>();

  /** True when nothing is deleted. */
  get isEmpty(): boolean {
    return this.byReplica.size === 0;
  }

  /** Adds `[clock, clock + length)` of `replica`; returns the parts that were not already covered, in order. */
  add(replica: number, clock: number, length: number): IdRange[] {
    const bounds = this.byReplica.get(replica);
    if (bounds !== undefined && length > 0 && clock >= bounds[bounds.length - 1]!) {
      // After the last range (the usual remote delete of fresh ids): no search, a one-element result.
      if (clock > bounds[bounds.length - 1]!) bounds.push(clock, clock + length);
      else bounds[bounds.length - 1] = clock + length;
      return [{ replica, clock, length }];
    }
    const added: IdRange[] = [];
    this.merge(replica, clock, length, added);
    return added;
  }

  /** Adds `[clock, clock + length)` of `replica` without reporting what was new (local deletes: the caller knows). */
  include(replica: number, clock: number, length: number): void {
    this.merge(replica, clock, length, null);
  }

  /** Adds a range; pushes the parts that were not already covered to `added` (when given), in order. */
  private merge(replica: number, clock: number, length: number, added: IdRange[] | null): void {
    if (length <= 0) return;
    let bounds = this.byReplica.get(replica);
    if (bounds === undefined) {
      bounds = [];
      this.byReplica.set(replica, bounds);
    }
    const end = clock + length;
    // Fast path: append after the last range.
    const lastEnd = bounds.length === 0 ? -1 : bounds[bounds.length - 1]!;
    if (clock >= lastEnd) {
      if (clock > lastEnd) bounds.push(clock, end);
      else bounds[bounds.length - 1] = end;
      added?.push({ replica, clock, length });
      return;
    }
    // First range whose end >= clock (it touches or follows the new range).
    let i = this.firstEndAtLeast(bounds, clock);
    let cursor = clock;
    let newStart = clock;
    let newEnd = end;
    const first = i;
    while (i < bounds.length && bounds[i]! <= end) {
      const s = bounds[i]!;
      const e = bounds[i + 1]!;
      if (s > cursor) added?.push({ replica, clock: cursor, length: s - cursor });
      cursor = Math.max(cursor, e);
      newStart = Math.min(newStart, s);
      newEnd = Math.max(newEnd, e);
      i += 2;
    }
    if (cursor < end) added?.push({ replica, clock: cursor, length: end - cursor });
    if (i - first === 2) {
      // One range absorbed: widen it in place.
      bounds[first] = newStart;
      bounds[first + 1] = newEnd;
    } else bounds.splice(first, i - first, newStart, newEnd);
  }

  /**
   * Sets the ranges of a replica that has none yet from canonical bounds `[s0, e0, s1, e1, ...]`
   * (sorted, disjoint, not adjacent), keeping the array: bulk loading of a full state.
   */
  setBounds(replica: number, bounds: number[]): void {
    if (this.byReplica.has(replica)) throw new Error(`replica ${replica} already has deletes`);
    if (bounds.length > 0) this.byReplica.set(replica, bounds);
  }

  /** True when the id is deleted. */
  has(replica: number, clock: number): boolean {
    const bounds = this.byReplica.get(replica);
    if (bounds === undefined) return false;
    const i = this.firstEndAtLeast(bounds, clock + 1);
    return i < bounds.length && bounds[i]! <= clock;
  }

  /** The deleted parts of `[clock, clock + length)` of `replica`, in order (a shared empty array when none: do not mutate). */
  intersect(replica: number, clock: number, length: number): IdRange[] {
    const bounds = this.byReplica.get(replica);
    if (bounds === undefined) return NOTHING;
    const end = clock + length;
    const from = this.firstEndAtLeast(bounds, clock + 1);
    if (from >= bounds.length || bounds[from]! >= end) return NOTHING;
    const out: IdRange[] = [];
    for (let i = from; i < bounds.length && bounds[i]! < end; i += 2) {
      const s = Math.max(bounds[i]!, clock);
      const e = Math.min(bounds[i + 1]!, end);
      if (e > s) out.push({ replica, clock: s, length: e - s });
    }
    return out;
  }

  /** Every range, sorted by replica then clock (canonical). */
  ranges(): IdRange[] {
    const out: IdRange[] = [];
    for (const replica of [...this.byReplica.keys()].sort((a, b) => a - b)) {
      const bounds = this.byReplica.get(replica)!;
      for (let i = 0; i < bounds.length; i += 2) out.push({ replica, clock: bounds[i]!, length: bounds[i + 1]! - bounds[i]! });
    }
    return out;
  }

  /** Index (even) of the first range whose end is >= `clock`, or `bounds.length`. */
  private firstEndAtLeast(bounds: number[], clock: number): number {
    let lo = 0;
    let hi = bounds.length / 2;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (bounds[mid * 2 + 1]! < clock) lo = mid + 1;
      else hi = mid;
    }
    return lo * 2;
  }
}

/** Sorts and merges id ranges into canonical form (by replica, then clock; adjacent ranges joined). */
export function normalizeRanges(ranges: readonly IdRange[]): IdRange[] {
  if (ranges.length <= 1) return ranges.slice();
  const set = new DeleteSet();
  for (const range of ranges) set.include(range.replica, range.clock, range.length);
  return set.ranges();
}

/** The parts of canonical ranges `from` not covered by canonical ranges `minus` (both sorted by replica, then clock). */
export function subtractRanges(from: readonly IdRange[], minus: readonly IdRange[]): IdRange[] {
  const out: IdRange[] = [];
  let j = 0;
  for (const range of from) {
    let clock = range.clock;
    const end = range.clock + range.length;
    while (j < minus.length && (minus[j]!.replica < range.replica || (minus[j]!.replica === range.replica && minus[j]!.clock + minus[j]!.length <= clock))) j++;
    for (let k = j; k < minus.length && minus[k]!.replica === range.replica && minus[k]!.clock < end; k++) {
      const m = minus[k]!;
      if (m.clock > clock) out.push({ replica: range.replica, clock, length: m.clock - clock });
      clock = Math.max(clock, m.clock + m.length);
    }
    if (clock < end) out.push({ replica: range.replica, clock, length: end - clock });
  }
  return out;
}

/** The union of two lists of ranges, each sorted by replica then clock (overlaps allowed), in canonical form. */
export function unionRanges(a: readonly IdRange[], b: readonly IdRange[]): IdRange[] {
  const out: IdRange[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    const x = a[i];
    const y = b[j];
    const next = y === undefined || (x !== undefined && (x.replica < y.replica || (x.replica === y.replica && x.clock <= y.clock))) ? a[i++]! : b[j++]!;
    const last = out[out.length - 1];
    if (last !== undefined && last.replica === next.replica && next.clock <= last.clock + last.length) {
      const end = Math.max(last.clock + last.length, next.clock + next.length);
      out[out.length - 1] = { replica: last.replica, clock: last.clock, length: end - last.clock };
    } else out.push({ replica: next.replica, clock: next.clock, length: next.length });
  }
  return out;
}
