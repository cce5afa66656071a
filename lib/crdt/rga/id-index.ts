/**
 * `IdIndex`: id -> span lookup. Per replica, the spans sorted by clock in a chunked array
 * (binary search over chunks, then within a chunk), so a split inserts into one small chunk
 * instead of shifting one huge array.
 * Invariant: within a replica the spans' clock ranges are disjoint and sorted.
 */
import type { Span } from './span';

const MAX_CHUNK = 256;
/** Chunk size of a bulk-loaded replica. */
const BULK_CHUNK = 240;

/** The spans of one replica, sorted by clock. */
class ReplicaSpans {
  /** Non-empty chunks of spans (or one empty chunk); concatenated they are sorted by clock. */
  readonly chunks: Span[][];

  constructor(chunks: Span[][] = [[]]) {
    this.chunks = chunks;
  }

  /** Index of the last chunk whose first span starts at or before `clock` (0 if none). */
  private chunkFor(clock: number): number {
    const chunks = this.chunks;
    let lo = 0;
    let hi = chunks.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if ((chunks[mid] as Span[])[0]!.clock <= clock) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }

  /** Index within `chunk` of the last span starting at or before `clock`, or -1. */
  private static floorIn(chunk: Span[], clock: number): number {
    let lo = 0;
    let hi = chunk.length - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if ((chunk[mid] as Span).clock <= clock) {
        found = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return found;
  }

  /** The span with the highest clocks, if any. */
  private last(): Span | undefined {
    const chunk = this.chunks[this.chunks.length - 1] as Span[];
    return chunk[chunk.length - 1];
  }

  find(clock: number): Span | undefined {
    // New characters of a replica come after its last span: answer without searching.
    const last = this.last();
    if (last === undefined || clock >= last.clock + last.length) return undefined;
    const chunk = this.chunks[this.chunkFor(clock)] as Span[];
    const at = ReplicaSpans.floorIn(chunk, clock);
    if (at < 0) return undefined;
    const span = chunk[at] as Span;
    return clock < span.clock + span.length ? span : undefined;
  }

  /** Clock of the first span starting after `clock`, or +Infinity. */
  nextStartAfter(clock: number): number {
    const last = this.last();
    if (last === undefined || clock >= last.clock) return Number.POSITIVE_INFINITY;
    const c = this.chunkFor(clock);
    const chunk = this.chunks[c] as Span[];
    const at = ReplicaSpans.floorIn(chunk, clock) + 1;
    if (at < chunk.length) return (chunk[at] as Span).clock;
    const nextChunk = this.chunks[c + 1];
    return nextChunk === undefined ? Number.POSITIVE_INFINITY : (nextChunk[0] as Span).clock;
  }

  insert(span: Span): void {
    const lastChunk = this.chunks[this.chunks.length - 1] as Span[];
    const last = lastChunk[lastChunk.length - 1];
    if (last === undefined || last.clock < span.clock) {
      lastChunk.push(span);
      if (lastChunk.length > MAX_CHUNK) this.splitChunk(this.chunks.length - 1);
      return;
    }
    const c = this.chunkFor(span.clock);
    const chunk = this.chunks[c] as Span[];
    chunk.splice(ReplicaSpans.floorIn(chunk, span.clock) + 1, 0, span);
    if (chunk.length > MAX_CHUNK) this.splitChunk(c);
  }

  remove(span: Span): void {
    const c = this.chunkFor(span.clock);
    const chunk = this.chunks[c] as Span[];
    const at = ReplicaSpans.floorIn(chunk, span.clock);
    if (chunk[at] !== span) return;
    chunk.splice(at, 1);
    if (chunk.length === 0 && this.chunks.length > 1) this.chunks.splice(c, 1);
  }

  forEachIn(from: number, to: number, visit: (span: Span) => void): void {
    const chunks = this.chunks;
    let c = this.chunkFor(from);
    let i = Math.max(0, ReplicaSpans.floorIn(chunks[c] as Span[], from));
    for (; c < chunks.length; c++, i = 0) {
      const chunk = chunks[c] as Span[];
      for (; i < chunk.length; i++) {
        const span = chunk[i] as Span;
        if (span.clock >= to) return;
        if (span.clock + span.length > from) visit(span);
      }
    }
  }

  private splitChunk(c: number): void {
    const chunk = this.chunks[c] as Span[];
    this.chunks.splice(c + 1, 0, chunk.splice(chunk.length >> 1));
  }
}

/** id -> span for every replica. */
export class IdIndex {
  private readonly replicas = new Map<number, ReplicaSpans>();
  private lastReplica = -2;
  private lastSpans: ReplicaSpans | undefined = undefined;
  /**
   * The two spans `find` returned last, most recent first (integrating typing asks for the same
   * origin-left and origin-right spans again and again).
   * Invariant: each is null or a span in the index; its live clock range is checked on every hit.
   */
  private lastFound: Span | null = null;
  private lastFoundBefore: Span | null = null;

  private spansOf(replica: number): ReplicaSpans | undefined {
    if (replica !== this.lastReplica) {
      this.lastReplica = replica;
      this.lastSpans = this.replicas.get(replica);
    }
    return this.lastSpans;
  }

  /** The span containing (replica, clock), if integrated. */
  find(replica: number, clock: number): Span | undefined {
    const last = this.lastFound;
    if (last !== null && last.replica === replica && clock >= last.clock && clock < last.clock + last.length) return last;
    const before = this.lastFoundBefore;
    if (before !== null && before.replica === replica && clock >= before.clock && clock < before.clock + before.length) {
      this.lastFoundBefore = last;
      this.lastFound = before;
      return before;
    }
    const span = this.spansOf(replica)?.find(clock);
    if (span !== undefined) {
      this.lastFoundBefore = last;
      this.lastFound = span;
    }
    return span;
  }

  /** Smallest clock > `clock` at which a span of `replica` starts, or +Infinity. */
  nextStartAfter(replica: number, clock: number): number {
    return this.spansOf(replica)?.nextStartAfter(clock) ?? Number.POSITIVE_INFINITY;
  }

  insert(span: Span): void {
    let spans = this.spansOf(span.replica);
    if (spans === undefined) {
      spans = new ReplicaSpans();
      this.replicas.set(span.replica, spans);
      this.lastReplica = span.replica;
      this.lastSpans = spans;
    }
    spans.insert(span);
  }

  /**
   * Sets the spans of a replica the index holds nothing of, sorted by clock (bulk loading): cut
   * into chunks of exact size, a little below the limit so that the first inserts split none.
   */
  setReplica(replica: number, spans: readonly Span[]): void {
    if (spans.length === 0) return;
    if (this.replicas.has(replica)) throw new Error(`the index already holds replica ${replica}`);
    const chunkCount = Math.ceil(spans.length / BULK_CHUNK);
    const chunks: Span[][] = new Array(chunkCount);
    for (let c = 0; c < chunkCount; c++) {
      // Even sizes: each chunk gets floor or ceil of the average.
      const from = Math.floor((c * spans.length) / chunkCount);
      const to = Math.floor(((c + 1) * spans.length) / chunkCount);
      const chunk: Span[] = new Array(to - from);
      for (let i = from; i < to; i++) chunk[i - from] = spans[i]!;
      chunks[c] = chunk;
    }
    this.replicas.set(replica, new ReplicaSpans(chunks));
    this.lastReplica = -2;
    this.lastSpans = undefined;
  }

  remove(span: Span): void {
    if (span === this.lastFound) this.lastFound = null;
    if (span === this.lastFoundBefore) this.lastFoundBefore = null;
    this.spansOf(span.replica)?.remove(span);
  }

  /** Calls `visit` for each span of `replica` overlapping clocks [from, to), in clock order. */
  forEachIn(replica: number, from: number, to: number, visit: (span: Span) => void): void {
    this.spansOf(replica)?.forEachIn(from, to, visit);
  }
}
