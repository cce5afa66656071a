/**
 * OR-Set, add-wins, in the optimised form of Bieniusa, Zawirski, Preguiça, Shapiro et al.
 * ("An optimized conflict-free replicated set", 2012): each add is tagged with a dot (replica,
 * clock); a remove deletes exactly the dots it observed. Removed dots go to the document's delete
 * set (compact id ranges), so the set keeps no per-element tombstones; an add whose dot is
 * already deleted never becomes visible.
 */

/** The unique tag of one add. */
export interface Dot {
  readonly replica: number;
  readonly clock: number;
}

/** The live dots of each element. Invariant: no element maps to an empty list. */
export class OrSet<D extends Dot = Dot> {
  private readonly live = new Map<string, D[]>();

  /** Number of present elements. */
  get size(): number {
    return this.live.size;
  }

  has(value: string): boolean {
    return this.live.has(value);
  }

  /** Present elements, sorted (a deterministic order on every replica). */
  values(): string[] {
    return [...this.live.keys()].sort();
  }

  /** The live dots of `value` (empty when absent). */
  dotsOf(value: string): readonly D[] {
    return this.live.get(value) ?? [];
  }

  /** Records an add; returns true when the element became present. */
  add(value: string, dot: D): boolean {
    const dots = this.live.get(value);
    if (dots === undefined) {
      this.live.set(value, [dot]);
      return true;
    }
    dots.push(dot);
    return false;
  }

  /** Forgets one dot (it was removed); returns true when the element became absent. */
  removeDot(value: string, dot: Dot): boolean {
    const dots = this.live.get(value);
    if (dots === undefined) return false;
    const index = dots.findIndex((d) => d.replica === dot.replica && d.clock === dot.clock);
    if (index < 0) return false;
    dots.splice(index, 1);
    if (dots.length > 0) return false;
    this.live.delete(value);
    return true;
  }

  /** Removes every observed dot of `value`; returns them (the caller adds them to the delete set). */
  removeAll(value: string): D[] {
    const dots = this.live.get(value) ?? [];
    this.live.delete(value);
    return dots;
  }
}
