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

/** The origin replicas and origin right clock of a span when they do not fit a small integer (see `packOrigins`). */
class OriginReplicas {
  constructor(
    readonly left: number,
    readonly right: number,
    readonly rightClock: number,
  ) {}
}

/** Packed `origins` code bits (when both origin replicas are `NONE` or the span's own). */
const LEFT_IS_NONE = 1;
const RIGHT_IS_NONE = 2;
/** Origin right clocks below this are packed (the packed value stays a small integer on every engine: below 2^30). */
const PACKED_CLOCK_LIMIT = 2 ** 28;

/**
 * The origin replicas and the origin right clock of a span, packed into one field: a small
 * integer `rightClock * 4 + bits` when each replica is `NONE` or the span's own (bit 0: left is
 * `NONE`, bit 1: right is `NONE`) and the clock is below 2^28, else an `OriginReplicas`. One
 * field instead of three saves 16 bytes per span.
 */
function packOrigins(replica: number, left: number, right: number, rightClock: number): number | OriginReplicas {
  if ((left !== NONE && left !== replica) || (right !== NONE && right !== replica) || !(rightClock >= 0 && rightClock < PACKED_CLOCK_LIMIT)) {
    return new OriginReplicas(left, right, rightClock);
  }
  return rightClock * 4 + (left === NONE ? LEFT_IS_NONE : 0) + (right === NONE ? RIGHT_IS_NONE : 0);
}

/**
 * One span. Invariants: `length >= 1`; `content === null` exactly when every character of the
 * span is deleted (the content is dropped, the length kept); otherwise `content.length === length`.
 * `leftReplica === NONE` means origin left is the document start, `rightReplica === NONE` that
 * origin right is the document end.
 */
export class Span {
  /** `leftReplica`, `rightReplica` and `rightClock`, packed (see `packOrigins`; they are accessors). */
  private origins: number | OriginReplicas;
  /** `content` when visible, else `length` (they are accessors): one field instead of two. */
  private body: string | number;

  constructor(
    readonly replica: number,
    public clock: number,
    length: number,
    leftReplica: number,
    public leftClock: number,
    rightReplica: number,
    rightClock: number,
    content: string | null,
  ) {
    // The common case inline (a call per span costs in cold code); `packOrigins` for the rest.
    this.origins =
      (leftReplica === NONE || leftReplica === replica) && (rightReplica === NONE || rightReplica === replica) && rightClock >= 0 && rightClock < PACKED_CLOCK_LIMIT
        ? rightClock * 4 + (leftReplica === NONE ? LEFT_IS_NONE : 0) + (rightReplica === NONE ? RIGHT_IS_NONE : 0)
        : packOrigins(replica, leftReplica, rightReplica, rightClock);
    this.body = content === null ? length : content;
  }

  /** Number of characters, deleted ones included. */
  get length(): number {
    const body = this.body;
    return typeof body === 'string' ? body.length : body;
  }

  /** Sets the length of a deleted span; a visible span's length is its content's (set `content`). */
  set length(value: number) {
    if (typeof this.body === 'string') throw new Error('the length of a visible span is the length of its content');
    this.body = value;
  }

  /** The characters, or null when the span is deleted. */
  get content(): string | null {
    const body = this.body;
    return typeof body === 'string' ? body : null;
  }

  /** New characters (the length follows), or null to delete the span (the length is kept). */
  set content(value: string | null) {
    this.body = value === null ? this.length : value;
  }

  /** Replica of origin left (`NONE`: the document start). */
  get leftReplica(): number {
    const origins = this.origins;
    if (typeof origins === 'number') return (origins & LEFT_IS_NONE) !== 0 ? NONE : this.replica;
    return origins.left;
  }

  set leftReplica(value: number) {
    this.origins = packOrigins(this.replica, value, this.rightReplica, this.rightClock);
  }

  /** Replica of origin right (`NONE`: the document end). */
  get rightReplica(): number {
    const origins = this.origins;
    if (typeof origins === 'number') return (origins & RIGHT_IS_NONE) !== 0 ? NONE : this.replica;
    return origins.right;
  }

  set rightReplica(value: number) {
    this.origins = packOrigins(this.replica, this.leftReplica, value, this.rightClock);
  }

  /** Sets origin right (replica and clock) with one repacking. */
  setOriginRight(replica: number, clock: number): void {
    this.origins = packOrigins(this.replica, this.leftReplica, replica, clock);
  }

  /** Clock of origin right (0 when it is the document end). */
  get rightClock(): number {
    const origins = this.origins;
    return typeof origins === 'number' ? origins >> 2 : origins.rightClock;
  }

  set rightClock(value: number) {
    this.origins = packOrigins(this.replica, this.leftReplica, this.rightReplica, value);
  }

  /** The leaf that holds this span; set by the tree on insertion and on leaf splits. */
  leaf: SpanLeafRef | null = null;

  /** Number of visible characters (0 for a deleted span). */
  get visibleLength(): number {
    const body = this.body;
    return typeof body === 'string' ? body.length : 0;
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
    const content = this.content;
    if (content !== null) this.content = content.slice(0, offset);
    else this.length = offset;
    return tail;
  }
}
