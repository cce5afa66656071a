/**
 * `Span`: a run of characters of one replica with consecutive clocks, stored as one unit in the
 * span tree. Character k (k > 0) has origin left = character k - 1 and the span's origin right.
 */

/** Replica number standing for "no origin" (document start or end). Replica ids are uint32. */
export const NONE = -1;

/** The id and origin fields of a span, as both the tree's `Span` and bulk loading's spans have them. */
export interface SpanIds {
  readonly replica: number;
  readonly clock: number;
  readonly length: number;
  readonly leftReplica: number;
  readonly leftClock: number;
  readonly rightReplica: number;
  readonly rightClock: number;
}

/**
 * True when `next`'s characters continue `head`'s (so they could be one span): same replica, next
 * clock, origin left = head's last character, same origin right.
 */
export function spanContinues(head: SpanIds, next: SpanIds): boolean {
  return (
    head.replica === next.replica &&
    head.clock + head.length === next.clock &&
    next.leftReplica === next.replica &&
    next.leftClock === next.clock - 1 &&
    head.rightReplica === next.rightReplica &&
    (next.rightReplica === NONE || head.rightClock === next.rightClock)
  );
}

/** A node of the span tree's bottom level; see `span-tree.ts`. */
export interface SpanLeafRef {
  readonly spans: Span[];
}

/**
 * One span. Invariants: `length >= 1`; `content === null` exactly when every character of the
 * span is deleted (the content is dropped, the length kept); otherwise `content.length === length`.
 * `leftReplica === NONE` means origin left is the document start, `rightReplica === NONE` that
 * origin right is the document end.
 */
export class Span {
  constructor(
    public replica: number,
    public clock: number,
    public length: number,
    public leftReplica: number,
    public leftClock: number,
    public rightReplica: number,
    public rightClock: number,
    public content: string | null,
  ) {}

  /** The leaf that holds this span; set by the tree on insertion and on leaf splits. */
  leaf: SpanLeafRef | null = null;

  /** Number of visible characters (0 for a deleted span). */
  get visibleLength(): number {
    return this.content === null ? 0 : this.length;
  }

  /**
   * Cuts this span at `offset` (0 < offset < length): this span keeps the head, the returned new
   * span is the tail (not yet placed in any structure).
   */
  splitAt(offset: number): Span {
    const tail = new Span(
      this.replica,
      this.clock + offset,
      this.length - offset,
      this.replica,
      this.clock + offset - 1,
      this.rightReplica,
      this.rightClock,
      this.content === null ? null : this.content.slice(offset),
    );
    this.length = offset;
    if (this.content !== null) this.content = this.content.slice(0, offset);
    return tail;
  }
}
