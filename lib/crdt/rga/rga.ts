/**
 * `Rga`: the fast sequence CRDT Tandem uses. Same ordering as `ReferenceRga` (FugueMax /
 * YjsMod: origin left + origin right), but characters live in spans (one per run of a
 * replica's consecutive inserts, split on demand), spans live in a B+tree with visible and
 * total counts (`SpanTree`), and ids are found through a per-replica sorted index (`IdIndex`).
 * Deleted spans keep their length and drop their content.
 */
import { MissingOriginError, SequenceRangeError } from './errors';
import { IdIndex } from './id-index';
import { pushDelete, pushInsert, pushRange, pushRun, validateRun } from './shared';
import { NONE, Span, spanContinues } from './span';
import { SpanTree, type SpanTreeOptions } from './span-tree';
import type { IdRange, InsertRun, ItemId, Sequence, TextDelta } from './types';

/** What `integrate`/`deleteRange` return when asked for no deltas (frozen: callers only read it). */
const NO_DELTAS: TextDelta[] = Object.freeze([]) as unknown as TextDelta[];

function idOrNull(replica: number, clock: number): ItemId | null {
  return replica === NONE ? null : { replica, clock };
}

/** True when two spans' first characters have the same origin left and origin right. */
function sameOrigins(a: Span, b: Span): boolean {
  return (
    a.leftReplica === b.leftReplica &&
    (a.leftReplica === NONE || a.leftClock === b.leftClock) &&
    a.rightReplica === b.rightReplica &&
    (a.rightReplica === NONE || a.rightClock === b.rightClock)
  );
}

/** The span-based FugueMax / YjsMod sequence. */
export class Rga implements Sequence {
  private readonly tree: SpanTree;
  private readonly ids = new IdIndex();
  /**
   * The span `integrateSpan` placed last (a later concurrent insert with the same origins may
   * resume its scan there). Checked before use: still indexed under its first id, origins intact.
   */
  private lastSibling: Span | null = null;

  /** `options` tune the span tree's node sizes (tests use tiny ones to exercise splits). */
  constructor(options: SpanTreeOptions = {}) {
    this.tree = new SpanTree(options);
  }

  get length(): number {
    return this.tree.visible;
  }

  toString(): string {
    const parts: string[] = [];
    this.tree.forEach((span) => {
      if (span.content !== null) parts.push(span.content);
    });
    return parts.join('');
  }

  /** True when the sequence holds no span, not even a deleted one. */
  get isEmpty(): boolean {
    return this.tree.first() === null;
  }

  /** Calls `visit` on every span in document order (full-state encoding, rga/bulk.ts). */
  forEachSpan(visit: (span: Span) => void): void {
    this.tree.forEach(visit);
  }

  /**
   * Fills an empty sequence in bulk (rga/bulk.ts): `spans` in document order, and per replica the
   * same spans sorted by clock; no integration search. The caller guarantees what the state
   * decoder checks (unique ids, origins placed left and right of each span).
   */
  buildFrom(spans: readonly Span[], byReplica: ReadonlyMap<number, readonly Span[]>): void {
    this.tree.build(spans);
    for (const [replica, sorted] of byReplica) this.ids.setReplica(replica, sorted);
  }

  insertLocal(index: number, content: string, replica: number, clock: number): InsertRun {
    const visible = this.tree.visible;
    if (!Number.isInteger(index) || index < 0 || index > visible) throw new SequenceRangeError(index, 0, visible);
    let left: Span | null;
    let right: Span | null;
    if (index === visible) {
      left = this.tree.last();
      right = null;
    } else {
      this.tree.locateVisible(index);
      const span = this.tree.foundSpan as Span;
      const offset = this.tree.foundOffset;
      if (offset > 0 && content.length > 0) {
        left = span;
        right = this.split(span, offset);
      } else if (offset > 0) {
        // Nothing to insert: report the origins without splitting.
        const run: InsertRun = {
          replica,
          clock,
          length: 0,
          originLeft: { replica: span.replica, clock: span.clock + offset - 1 },
          originRight: { replica: span.replica, clock: span.clock + offset },
          content,
        };
        return run;
      } else {
        left = this.tree.prevOfFound();
        right = span;
      }
    }
    const run: InsertRun = {
      replica,
      clock,
      length: content.length,
      originLeft: left === null ? null : { replica: left.replica, clock: left.clock + left.length - 1 },
      originRight: right === null ? null : { replica: right.replica, clock: right.clock },
      content,
    };
    if (content.length === 0) return run;
    const rightReplica = right === null ? NONE : right.replica;
    const rightClock = right === null ? 0 : right.clock;
    if (left !== null && !this.maybeAppend(left, replica, clock, rightReplica, rightClock, content)) {
      this.place(left, new Span(replica, clock, content.length, left.replica, left.clock + left.length - 1, rightReplica, rightClock, content));
    } else if (left === null) {
      this.place(null, new Span(replica, clock, content.length, NONE, 0, rightReplica, rightClock, content));
    }
    return run;
  }

  deleteLocal(index: number, length: number): IdRange[] {
    const visible = this.tree.visible;
    if (!Number.isInteger(index) || !Number.isInteger(length) || index < 0 || length < 0 || index + length > visible) {
      throw new SequenceRangeError(index, length, visible);
    }
    // Usually one range: returned as a one-element literal (a push onto `[]` reserves room for 17).
    let ranges: IdRange[] | null = null;
    let remaining = length;
    while (remaining > 0) {
      this.tree.locateVisible(index);
      let span = this.tree.foundSpan as Span;
      const offset = this.tree.foundOffset;
      const take = Math.min(span.length - offset, remaining);
      let replica: number;
      let clock: number;
      if (this.maybeDeleteIntoNeighbour(span, offset, take, true)) {
        replica = span.replica;
        clock = offset === 0 ? span.clock - take : span.clock + offset;
      } else {
        if (offset > 0) span = this.split(span, offset);
        if (span.length > take) this.split(span, take);
        replica = span.replica;
        clock = span.clock;
        this.markDeleted(span);
      }
      if (ranges === null) ranges = [{ replica, clock, length: take }];
      else pushRange(ranges, replica, clock, take);
      remaining -= take;
    }
    return ranges ?? [];
  }

  /**
   * Fast path for backspace and forward delete: when the `take` characters at `offset` of a
   * visible span end it (resp. start it) and the next (resp. previous) span is a deleted span they
   * continue, moves them into that tombstone instead of splitting. `located`: `span` is the tree's
   * found span (its neighbours are at hand). Returns whether it did.
   */
  private maybeDeleteIntoNeighbour(span: Span, offset: number, take: number, located: boolean): boolean {
    const content = span.content as string;
    if (offset > 0 && offset + take === span.length) {
      const next = located ? this.tree.nextOfFound() : this.tree.next(span);
      if (next === null || next.content !== null || !spanContinues(span, next)) return false;
      span.content = content.slice(0, offset);
      next.clock -= take;
      next.length += take;
      next.leftClock = next.clock - 1;
      this.tree.adjust(span, -take, -take);
      this.tree.adjust(next, 0, take);
      return true;
    }
    if (offset === 0 && take < span.length) {
      const prev = located ? this.tree.prevOfFound() : this.tree.prev(span);
      if (prev === null || prev.content !== null || !spanContinues(prev, span)) return false;
      span.clock += take;
      span.leftReplica = span.replica;
      span.leftClock = span.clock - 1;
      span.content = content.slice(take);
      prev.length += take;
      this.tree.adjust(span, -take, -take);
      this.tree.adjust(prev, 0, take);
      return true;
    }
    return false;
  }

  has(id: ItemId): boolean {
    return this.ids.find(id.replica, id.clock) !== undefined;
  }

  canIntegrate(run: InsertRun): boolean {
    return (run.originLeft === null || this.has(run.originLeft)) && (run.originRight === null || this.has(run.originRight));
  }

  integrate(run: InsertRun, withDeltas = true): TextDelta[] {
    validateRun(run);
    // A run with a missing origin changes nothing: `integrateSpan` finds both origins before
    // touching anything, and a later piece's origins are the first one's (or known characters).
    const deltas: TextDelta[] = withDeltas ? [] : NO_DELTAS;
    const end = run.clock + run.length;
    let clock = run.clock;
    while (clock < end) {
      const known = this.ids.find(run.replica, clock);
      if (known !== undefined) {
        clock = known.clock + known.length;
        continue;
      }
      // One unknown character is a piece of its own (a keystroke): no search for the next known one.
      const pieceEnd = end - clock === 1 ? end : Math.min(end, this.ids.nextStartAfter(run.replica, clock));
      const offset = clock - run.clock;
      const content = run.content === null ? null : run.content.slice(offset, pieceEnd - run.clock);
      // The first character keeps the run's origin left; a later piece's is the character before it.
      const first = offset === 0;
      const span = new Span(
        run.replica,
        clock,
        pieceEnd - clock,
        first ? (run.originLeft?.replica ?? NONE) : run.replica,
        first ? (run.originLeft?.clock ?? 0) : clock - 1,
        run.originRight?.replica ?? NONE,
        run.originRight?.clock ?? 0,
        content,
      );
      const placed = this.integrateSpan(span);
      if (withDeltas && content !== null) pushInsert(deltas, this.tree.visiblePosition(placed) + (clock - placed.clock), content);
      clock = pieceEnd;
    }
    return deltas;
  }

  deleteRange(range: IdRange, withDeltas = true): TextDelta[] {
    const deltas: TextDelta[] = withDeltas ? [] : NO_DELTAS;
    const end = range.clock + range.length;
    let clock = range.clock;
    while (clock < end) {
      let span = this.ids.find(range.replica, clock);
      if (span === undefined) {
        clock = this.ids.nextStartAfter(range.replica, clock);
        continue;
      }
      const spanEnd = span.clock + span.length;
      if (span.content !== null) {
        // A remote backspace or forward delete next to its own tombstone: moved into it, no split.
        const offset = clock - span.clock;
        const take = Math.min(spanEnd, end) - clock;
        if (take < span.length) {
          const position = withDeltas ? this.tree.visiblePosition(span) + offset : 0;
          if (this.maybeDeleteIntoNeighbour(span, offset, take, false)) {
            if (withDeltas) pushDelete(deltas, position, take);
            clock += take;
            continue;
          }
        }
        if (clock > span.clock) span = this.split(span, clock - span.clock);
        if (spanEnd > end) this.split(span, end - span.clock);
        if (withDeltas) pushDelete(deltas, this.tree.visiblePosition(span), span.length);
        this.markDeleted(span);
      }
      clock = Math.min(spanEnd, end);
    }
    return deltas;
  }

  runsOf(replica: number, from: number, to: number): InsertRun[] {
    const runs: InsertRun[] = [];
    this.ids.forEachIn(replica, from, to, (span) => {
      const start = Math.max(from, span.clock);
      const stop = Math.min(to, span.clock + span.length);
      pushRun(runs, {
        replica,
        clock: start,
        length: stop - start,
        originLeft: start === span.clock ? idOrNull(span.leftReplica, span.leftClock) : { replica, clock: start - 1 },
        originRight: idOrNull(span.rightReplica, span.rightClock),
        content: span.content === null ? null : span.content.slice(start - span.clock, stop - span.clock),
      });
    });
    return runs;
  }

  indexOf(id: ItemId): number {
    const span = this.ids.find(id.replica, id.clock);
    if (span === undefined) return -1;
    return this.tree.visiblePosition(span) + (span.content === null ? 0 : id.clock - span.clock);
  }

  idAt(index: number): ItemId | null {
    if (!Number.isInteger(index) || !this.tree.locateVisible(index)) return null;
    const span = this.tree.foundSpan as Span;
    return { replica: span.replica, clock: span.clock + this.tree.foundOffset };
  }

  /**
   * Places a span of unknown characters (YjsMod / FugueMax) and returns the span now holding
   * them (it may have been merged into its left neighbour). Works span by span: after the
   * first character of a scanned span decides, the rest of it (whose origin left is the
   * character before) is always skipped along with it, exactly as the per-character rule does.
   */
  private integrateSpan(span: Span): Span {
    // Both origins are found (or the run rejected) before any split.
    const leftHolder = span.leftReplica === NONE ? null : this.ids.find(span.leftReplica, span.leftClock);
    if (leftHolder === undefined) throw new MissingOriginError(span.leftReplica, span.leftClock);
    let rightHolder = span.rightReplica === NONE ? null : this.ids.find(span.rightReplica, span.rightClock);
    if (rightHolder === undefined) throw new MissingOriginError(span.rightReplica, span.rightClock);
    const left = leftHolder === null ? null : this.endAt(leftHolder, span.leftClock);
    // Splitting the left origin's span may have moved the right origin into the new tail.
    if (rightHolder !== null && rightHolder.clock + rightHolder.length <= span.rightClock) rightHolder = this.ids.find(span.rightReplica, span.rightClock)!;
    const right = rightHolder === null ? null : this.startAt(rightHolder, span.rightClock);
    let leftPosition = -2; // computed on demand; -1 for the document start
    let rightPosition = -2; // computed on demand; +Infinity for the document end
    let dest = left;
    let scanning = false;
    let prev = left;
    // Resume after the last sibling placed with the same origins when ours sorts after it: the scan
    // from `left` would pass it (siblings with equal origins lie in replica order between the
    // origins, and nothing before it ends the scan) and continue in the very state set below.
    // Many replicas inserting at one place (B3.5) would otherwise rescan every earlier sibling.
    const sibling = this.lastSibling;
    if (
      sibling !== null &&
      span.replica > sibling.replica &&
      sameOrigins(sibling, span) &&
      this.ids.find(sibling.replica, sibling.clock) === sibling
    ) {
      dest = sibling;
      prev = sibling;
    }
    // The loop below only reads the tree (positions, ids), so one walk serves the whole scan.
    let other = this.tree.walkFrom(prev);
    for (;;) {
      if (!scanning) dest = prev;
      if (other === null || other === right) break;
      const current: Span = other;
      const scannedBefore = prev === left ? null : prev;
      prev = current;
      other = this.tree.walkNext();
      if (current.leftReplica === span.leftReplica && (span.leftReplica === NONE || current.leftClock === span.leftClock)) {
        // Same origin left: a concurrent sibling. Order by origin right, then by replica.
        if (current.rightReplica === span.rightReplica && (span.rightReplica === NONE || current.rightClock === span.rightClock)) {
          if (span.replica < current.replica) break;
          scanning = false;
          continue;
        }
        if (rightPosition === -2) rightPosition = right === null ? Number.POSITIVE_INFINITY : this.tree.rawPosition(right);
        scanning = this.rawPositionOfId(current.rightReplica, current.rightClock, Number.POSITIVE_INFINITY) < rightPosition;
        continue;
      }
      // Origin left before ours: we have passed all of our origin's subtree. After it: skip.
      // An origin inside the span scanned just before is after ours (no position needed).
      if (
        scannedBefore !== null &&
        current.leftReplica === scannedBefore.replica &&
        current.leftClock >= scannedBefore.clock &&
        current.leftClock < scannedBefore.clock + scannedBefore.length
      ) {
        continue;
      }
      if (leftPosition === -2) leftPosition = left === null ? -1 : this.tree.rawPosition(left) + left.length - 1;
      if (this.rawPositionOfId(current.leftReplica, current.leftClock, -1) < leftPosition) break;
    }
    if (dest !== null && this.maybeAppend(dest, span.replica, span.clock, span.rightReplica, span.rightClock, span.content, span)) return dest;
    this.place(dest, span);
    this.lastSibling = span;
    return span;
  }

  /**
   * Extends `left` by the new characters when they continue it (same replica, next clock,
   * origin left = its last character, same origin right, same deletedness). Returns whether it did.
   */
  private maybeAppend(
    left: Span,
    replica: number,
    clock: number,
    rightReplica: number,
    rightClock: number,
    content: string | null,
    candidate?: Span,
  ): boolean {
    if (
      left.replica !== replica ||
      left.clock + left.length !== clock ||
      left.rightReplica !== rightReplica ||
      (rightReplica !== NONE && left.rightClock !== rightClock) ||
      (left.content === null) !== (content === null)
    ) {
      return false;
    }
    if (candidate !== undefined && (candidate.leftReplica !== replica || candidate.leftClock !== clock - 1)) return false;
    const added = content === null ? (candidate as Span).length : content.length;
    if (content !== null) left.content += content;
    else left.length += added;
    this.tree.adjust(left, content === null ? 0 : added, added);
    return true;
  }

  /** Inserts a new span after `after` (null = at the start) in the tree and the id index. */
  private place(after: Span | null, span: Span): void {
    this.tree.insertAfter(after, span);
    this.ids.insert(span);
  }

  /** Cuts `span` at `offset` and returns the tail, placed after it everywhere. */
  private split(span: Span, offset: number): Span {
    const tail = span.splitAt(offset);
    this.tree.insertSplit(span, tail);
    this.ids.insert(tail);
    return tail;
  }

  /** Marks a visible span deleted (dropping its content) and merges it with deleted neighbours it continues. */
  private markDeleted(span: Span): void {
    span.content = null;
    this.tree.adjust(span, -span.length, 0);
    const prev = this.tree.prev(span);
    let kept = span;
    if (prev !== null && this.continuesDeleted(prev, span)) {
      this.absorb(prev, span);
      kept = prev;
    }
    const next = this.tree.next(kept);
    if (next !== null && this.continuesDeleted(kept, next)) this.absorb(kept, next);
  }

  /** True when deleted `next` continues deleted `head` (ids, origins), so they can be one span. */
  private continuesDeleted(head: Span, next: Span): boolean {
    return head.content === null && next.content === null && spanContinues(head, next);
  }


  /** Merges deleted `next` into deleted `head`, which it continues. */
  private absorb(head: Span, next: Span): void {
    this.tree.remove(next);
    this.ids.remove(next);
    head.length += next.length;
    this.tree.adjust(head, 0, next.length);
  }

  /** `span` (which holds the character at `clock`) cut so that it ends with that character. */
  private endAt(span: Span, clock: number): Span {
    if (clock < span.clock + span.length - 1) this.split(span, clock - span.clock + 1);
    return span;
  }

  /** The part of `span` (which holds the character at `clock`) that starts with that character, cut off when needed. */
  private startAt(span: Span, clock: number): Span {
    return clock > span.clock ? this.split(span, clock - span.clock) : span;
  }

  /** Raw position of a character; `ifNone` for the document start/end. */
  private rawPositionOfId(replica: number, clock: number, ifNone: number): number {
    if (replica === NONE) return ifNone;
    const span = this.ids.find(replica, clock) as Span;
    return this.tree.rawPosition(span) + (clock - span.clock);
  }
}
