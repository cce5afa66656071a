/**
 * A Lamport clock: a counter that ticks on local events and jumps past every remote time it sees.
 * Invariant: `time` never decreases.
 */
export class LamportClock {
  private current: number;

  constructor(start = 0) {
    this.current = start;
  }

  /** The last time handed out or observed. */
  get time(): number {
    return this.current;
  }

  /** A local event: returns a time greater than every time seen so far. */
  tick(): number {
    this.current += 1;
    return this.current;
  }

  /** A remote event at `remote`: afterwards `time > remote` and `time` is greater than before. */
  receive(remote: number): number {
    this.current = Math.max(this.current, remote) + 1;
    return this.current;
  }
}
