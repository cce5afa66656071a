/**
 * `ReferenceRga`: the obviously-correct sequence CRDT. One array entry per character, tombstones
 * kept in place, FugueMax / YjsMod ordering (origin left + origin right). Every operation is a
 * linear scan; it exists to be read and to be fuzzed against the fast `Rga`.
 *
 * Ordering follows `integrateYjsMod` as described in josephg/reference-crdts and the Fugue paper
 * (Weidner, Gentle, Kleppmann, "The Art of the Fugue", 2023): YjsMod orders exactly like FugueMax,
 * which is maximally non-interleaving.
 */
import { MissingOriginError, SequenceRangeError } from './errors';
import { pushDelete, pushInsert, pushRange, pushRun, validateRun } from './shared';
import type { IdRange, InsertRun, ItemId, Sequence, TextDelta } from './types';

/** One character with its ids. Invariant: `deleted` never goes back to false. */
interface RefChar {
  readonly id: ItemId;
  readonly originLeft: ItemId | null;
  readonly originRight: ItemId | null;
  /** The character; '' when it arrived already deleted with its content dropped. */
  readonly char: string;
  deleted: boolean;
}

function keyOf(replica: number, clock: number): string {
  return `${replica}:${clock}`;
}

/** The plain-array FugueMax / YjsMod sequence. */
export class ReferenceRga implements Sequence {
  /** Every character ever integrated, in document order, tombstones included. */
  private readonly chars: RefChar[] = [];
  /** id -> character, for `has` (positions are always found by scanning `chars`). */
  private readonly byId = new Map<string, RefChar>();
  private visible = 0;

  get length(): number {
    return this.visible;
  }

  toString(): string {
    let out = '';
    for (const c of this.chars) if (!c.deleted) out += c.char;
    return out;
  }

  insertLocal(index: number, content: string, replica: number, clock: number): InsertRun {
    if (!Number.isInteger(index) || index < 0 || index > this.visible) {
      throw new SequenceRangeError(index, 0, this.visible);
    }
    const at = this.rawIndexOfVisible(index);
    const run: InsertRun = {
      replica,
      clock,
      length: content.length,
      originLeft: this.chars[at - 1]?.id ?? null,
      originRight: this.chars[at]?.id ?? null,
      content,
    };
    this.integrate(run);
    return run;
  }

  deleteLocal(index: number, length: number): IdRange[] {
    if (!Number.isInteger(index) || !Number.isInteger(length) || index < 0 || length < 0 || index + length > this.visible) {
      throw new SequenceRangeError(index, length, this.visible);
    }
    const ranges: IdRange[] = [];
    for (let k = 0; k < length; k++) {
      const c = this.chars[this.rawIndexOfVisible(index)] as RefChar;
      c.deleted = true;
      this.visible--;
      pushRange(ranges, c.id.replica, c.id.clock, 1);
    }
    return ranges;
  }

  has(id: ItemId): boolean {
    return this.byId.has(keyOf(id.replica, id.clock));
  }

  canIntegrate(run: InsertRun): boolean {
    return (run.originLeft === null || this.has(run.originLeft)) && (run.originRight === null || this.has(run.originRight));
  }

  integrate(run: InsertRun): TextDelta[] {
    validateRun(run);
    const deltas: TextDelta[] = [];
    for (let k = 0; k < run.length; k++) {
      const clock = run.clock + k;
      if (this.byId.has(keyOf(run.replica, clock))) continue;
      const originLeft = k === 0 ? run.originLeft : { replica: run.replica, clock: clock - 1 };
      const char: RefChar = {
        id: { replica: run.replica, clock },
        originLeft,
        originRight: run.originRight,
        char: run.content === null ? '' : (run.content[k] as string),
        deleted: run.content === null,
      };
      const at = this.integrateChar(char);
      if (!char.deleted) pushInsert(deltas, this.visibleBefore(at), char.char);
    }
    return deltas;
  }

  deleteRange(range: IdRange): TextDelta[] {
    const deltas: TextDelta[] = [];
    for (let clock = range.clock; clock < range.clock + range.length; clock++) {
      const c = this.byId.get(keyOf(range.replica, clock));
      if (c === undefined || c.deleted) continue;
      const at = this.chars.indexOf(c);
      pushDelete(deltas, this.visibleBefore(at), 1);
      c.deleted = true;
      this.visible--;
    }
    return deltas;
  }

  runsOf(replica: number, from: number, to: number): InsertRun[] {
    const mine = this.chars
      .filter((c) => c.id.replica === replica && c.id.clock >= from && c.id.clock < to)
      .sort((a, b) => a.id.clock - b.id.clock);
    const runs: InsertRun[] = [];
    for (const c of mine) {
      pushRun(runs, {
        replica,
        clock: c.id.clock,
        length: 1,
        originLeft: c.originLeft,
        originRight: c.originRight,
        content: c.deleted ? null : c.char,
      });
    }
    return runs;
  }

  indexOf(id: ItemId): number {
    const c = this.byId.get(keyOf(id.replica, id.clock));
    return c === undefined ? -1 : this.visibleBefore(this.chars.indexOf(c));
  }

  idAt(index: number): ItemId | null {
    if (!Number.isInteger(index) || index < 0 || index >= this.visible) return null;
    return (this.chars[this.rawIndexOfVisible(index)] as RefChar).id;
  }

  /**
   * Places one character (YjsMod / FugueMax) and returns its raw index. Scans from just after
   * origin left towards origin right; among concurrent siblings, a character whose origin right
   * is nearer is skipped tentatively (`scanning`), equal origins are ordered by replica.
   */
  private integrateChar(item: RefChar): number {
    const left = this.rawIndexOfId(item.originLeft, -1);
    const right = this.rawIndexOfId(item.originRight, this.chars.length);
    let dest = left + 1;
    let scanning = false;
    for (let i = left + 1; ; i++) {
      if (!scanning) dest = i;
      if (i === this.chars.length || i === right) break;
      const other = this.chars[i] as RefChar;
      const otherLeft = this.rawIndexOfId(other.originLeft, -1);
      if (otherLeft < left) break;
      if (otherLeft > left) continue;
      const otherRight = this.rawIndexOfId(other.originRight, this.chars.length);
      if (otherRight < right) {
        scanning = true;
      } else if (otherRight === right) {
        if (item.id.replica < other.id.replica) break;
        scanning = false;
      } else {
        scanning = false;
      }
    }
    this.chars.splice(dest, 0, item);
    this.byId.set(keyOf(item.id.replica, item.id.clock), item);
    if (!item.deleted) this.visible++;
    return dest;
  }

  /** Raw index of a character by id; `ifNull` for a null id; throws when unknown. */
  private rawIndexOfId(id: ItemId | null, ifNull: number): number {
    if (id === null) return ifNull;
    const c = this.byId.get(keyOf(id.replica, id.clock));
    if (c === undefined) throw new MissingOriginError(id.replica, id.clock);
    return this.chars.indexOf(c);
  }

  /** Raw index of the `index`-th visible character, or `chars.length` when index = length. */
  private rawIndexOfVisible(index: number): number {
    let seen = 0;
    for (let i = 0; i < this.chars.length; i++) {
      if ((this.chars[i] as RefChar).deleted) continue;
      if (seen === index) return i;
      seen++;
    }
    return this.chars.length;
  }

  /** Number of visible characters before raw index `at`. */
  private visibleBefore(at: number): number {
    let n = 0;
    for (let i = 0; i < at; i++) if (!(this.chars[i] as RefChar).deleted) n++;
    return n;
  }
}
