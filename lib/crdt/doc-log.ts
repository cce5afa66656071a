/**
 * The document's per-replica index of clock runs: for every replica, which field owns each clock
 * range (text runs, set adds, LWW writes, counter adds) and which ranges are garbage (skips).
 * Delete ranges are routed through it to the right field, and `diff` walks it to re-send ops.
 */
import type { JsonValue } from '../codec/json';
import type { HlcTimestamp } from '../clock/hlc';
import type { ReplicaId } from '../clock/replica';
import type { Sequence } from './rga/types';
import type { LwwWrite } from './lww';
import type { OrSet } from './orset';
import type { LwwMap, LwwRegister } from './lww';
import type { PnCounter } from './counter';
import type { FieldKind } from './update-codec';

/** A stored LWW write (tombstones have `value === undefined`). */
export interface StoredWrite extends LwwWrite<JsonValue | undefined> {
  readonly key: string;
}

/** A stored set add (its dot is (replica, clock)). */
export interface StoredAdd {
  readonly replica: number;
  readonly clock: number;
  readonly value: string;
}

/** The state of one named field: a discriminated union on `kind`. */
export type FieldState =
  | { readonly kind: 'text'; readonly name: string; readonly sequence: Sequence }
  | { readonly kind: 'set'; readonly name: string; readonly set: OrSet<StoredAdd> }
  | { readonly kind: 'map'; readonly name: string; readonly map: LwwMap<StoredWrite> }
  | { readonly kind: 'register'; readonly name: string; readonly register: LwwRegister<StoredWrite> }
  | { readonly kind: 'counter'; readonly name: string; readonly counter: PnCounter };

export type FieldStateOf<K extends FieldKind> = Extract<FieldState, { kind: K }>;

/** One clock range of a replica and what it holds. `length` is 1 except for text and skips. */
export type LogEntry =
  | { kind: 'text'; readonly clock: number; length: number; readonly field: FieldStateOf<'text'> }
  | { kind: 'skip'; readonly clock: number; length: number }
  | { kind: 'add'; readonly clock: number; readonly length: 1; readonly field: FieldStateOf<'set'>; readonly add: StoredAdd }
  | { kind: 'mapSet'; readonly clock: number; readonly length: 1; readonly field: FieldStateOf<'map'>; readonly write: StoredWrite }
  | { kind: 'registerSet'; readonly clock: number; readonly length: 1; readonly field: FieldStateOf<'register'>; readonly write: StoredWrite }
  | { kind: 'counterAdd'; readonly clock: number; readonly length: 1; readonly field: FieldStateOf<'counter'>; readonly delta: number };

/** Timestamp of a stored write, for re-encoding. */
export type { HlcTimestamp };

/**
 * The integrated clock ranges of one replica.
 * Invariant: entries are contiguous from clock 0 (entry i ends where entry i+1 starts) and
 * `clock` = end of the last entry; adjacent text entries of one field are merged on append.
 */
export class ReplicaLog {
  readonly entries: LogEntry[] = [];
  /** The next clock of this replica (= clock units integrated). */
  clock = 0;

  constructor(readonly replica: ReplicaId) {}

  /** Appends an entry starting at `this.clock`, merging text/skip entries into the previous one when contiguous. */
  append(entry: LogEntry): void {
    const last = this.entries[this.entries.length - 1];
    if (last !== undefined) {
      if (entry.kind === 'text' && last.kind === 'text' && last.field === entry.field) {
        last.length += entry.length;
        this.clock += entry.length;
        return;
      }
      if (entry.kind === 'skip' && last.kind === 'skip') {
        last.length += entry.length;
        this.clock += entry.length;
        return;
      }
    }
    this.entries.push(entry);
    this.clock += entry.length;
  }

  /** Appends `length` text units of `field` (as `append`, without allocating when it continues the last entry). */
  appendText(field: FieldStateOf<'text'>, length: number): void {
    const last = this.entries[this.entries.length - 1];
    if (last !== undefined && last.kind === 'text' && last.field === field) {
      last.length += length;
      this.clock += length;
      return;
    }
    this.entries.push({ kind: 'text', clock: this.clock, length, field });
    this.clock += length;
  }

  /** Index of the entry containing `clock`, or -1 when `clock >= this.clock`. */
  indexOf(clock: number): number {
    if (clock >= this.clock || clock < 0) return -1;
    let lo = 0;
    let hi = this.entries.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      if (this.entries[mid]!.clock <= clock) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }

  /** Turns the one-unit entry at `clock` into garbage (a skip). */
  replaceWithSkip(clock: number): void {
    const index = this.indexOf(clock);
    const entry = this.entries[index];
    if (entry === undefined || entry.kind === 'skip' || entry.kind === 'text' || entry.clock !== clock) return;
    this.entries[index] = { kind: 'skip', clock, length: 1 };
  }
}
