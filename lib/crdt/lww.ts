/**
 * Last-writer-wins register and map. Each write carries a hybrid logical timestamp (Kulkarni et
 * al.); writes are totally ordered by (timestamp, replica, clock), so every replica picks the same
 * winner whatever the delivery order. The losing write is garbage: the document keeps only its
 * clock range (a skip). A map delete is a write of the tombstone `undefined`.
 */
import { compareHlc, type HlcTimestamp } from '../clock/hlc';

/** One write. Invariant: (replica, clock) is unique per document. */
export interface LwwWrite<V> {
  readonly ts: HlcTimestamp;
  readonly replica: number;
  readonly clock: number;
  readonly value: V;
}

/** Orders writes: timestamp, then replica id, then clock. */
export function compareWrites(a: LwwWrite<unknown>, b: LwwWrite<unknown>): number {
  const order = compareHlc(a.ts, b.ts);
  if (order !== 0) return order;
  if (a.replica !== b.replica) return a.replica < b.replica ? -1 : 1;
  return a.clock - b.clock;
}

/** What applying a write did: whether it became the winner, and which write lost (now garbage). */
export interface LwwOutcome<W> {
  readonly won: boolean;
  readonly loser: W | null;
}

/** A register holding the greatest write seen. */
export class LwwRegister<W extends LwwWrite<unknown>> {
  private current: W | null = null;

  /** The winning write, or null before the first write. */
  get winner(): W | null {
    return this.current;
  }

  /** Applies a write; the loser (the previous winner, or `write` itself) is returned. */
  apply(write: W): LwwOutcome<W> {
    if (this.current === null) {
      this.current = write;
      return { won: true, loser: null };
    }
    if (compareWrites(write, this.current) > 0) {
      const loser = this.current;
      this.current = write;
      return { won: true, loser };
    }
    return { won: false, loser: write };
  }
}

/** A map of registers, one per key. Tombstones (deleted keys) are writes whose value is `undefined`. */
export class LwwMap<W extends LwwWrite<unknown>> {
  private readonly registers = new Map<string, LwwRegister<W>>();

  /** The winning write of `key`, tombstones included. */
  winnerOf(key: string): W | null {
    return this.registers.get(key)?.winner ?? null;
  }

  /** Applies a write to `key`. */
  apply(key: string, write: W): LwwOutcome<W> {
    let register = this.registers.get(key);
    if (register === undefined) {
      register = new LwwRegister<W>();
      this.registers.set(key, register);
    }
    return register.apply(write);
  }

  /** Keys whose winner is not a tombstone, sorted. */
  keys(): string[] {
    const out: string[] = [];
    for (const [key, register] of this.registers) if (register.winner !== null && register.winner.value !== undefined) out.push(key);
    return out.sort();
  }
}
