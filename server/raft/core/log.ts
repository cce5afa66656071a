/**
 * RaftLog: the node's view of the log, stable storage plus the unstable tail not yet handed to
 * the caller for persistence (etcd's raftLog + unstable).
 *
 * Invariants: applied <= committed <= lastIndex(); unstable entries start at `unstableOffset`
 * and are contiguous with storage (entries below the offset are in storage or compacted).
 * `recent` holds the last entries made stable (at most RECENT_ENTRIES / RECENT_BYTES), ending at
 * `unstableOffset - 1`: the same entries storage holds, kept so that applying them (and sending
 * them to a follower that is just behind) does not read back from storage what was just written.
 */
import { CompactedError, RaftInvariantError, UnavailableError, limitSize, type Storage } from './storage';
import { asIndex, asTerm, type Entry, type LogIndex, type Snapshot, type Term } from './types';

/** Bounds of the window of recently stabilised entries (see `recent`). */
const RECENT_ENTRIES = 128;
const RECENT_BYTES = 4 << 20;

export class RaftLog {
  /** Highest index known to be committed. */
  committed: LogIndex;
  /** Highest index handed to the application. Invariant: applied <= committed. */
  applied: LogIndex;
  /** A snapshot received from the leader, not yet persisted by the caller. */
  unstableSnapshot: Snapshot | undefined;
  /** Entries not yet persisted; unstableEntries[k].index === unstableOffset + k. */
  unstableEntries: Entry[] = [];
  unstableOffset: LogIndex;
  /** Entries most recently made stable, contiguous, ending at unstableOffset - 1 (or empty). */
  private recent: Entry[] = [];
  private recentBytes = 0;

  constructor(readonly storage: Storage, private readonly maxBytes: number) {
    const first = storage.firstIndex();
    const last = storage.lastIndex();
    this.unstableOffset = asIndex(last + 1);
    this.committed = asIndex(first - 1);
    this.applied = asIndex(first - 1);
  }

  firstIndex(): LogIndex {
    if (this.unstableSnapshot) return asIndex(this.unstableSnapshot.index + 1);
    return this.storage.firstIndex();
  }

  lastIndex(): LogIndex {
    if (this.unstableEntries.length > 0) return asIndex(this.unstableOffset + this.unstableEntries.length - 1);
    if (this.unstableSnapshot) return this.unstableSnapshot.index;
    return this.storage.lastIndex();
  }

  lastTerm(): Term {
    const t = this.term(this.lastIndex());
    if (t === undefined) throw new RaftInvariantError(`no term for the last index ${this.lastIndex()}`);
    return t;
  }

  /** The term of entry i, or undefined if it is compacted or past the end. */
  term(i: LogIndex): Term | undefined {
    const dummy = this.firstIndex() - 1;
    if (i < dummy || i > this.lastIndex()) return undefined;
    if (i >= this.unstableOffset && this.unstableEntries.length > 0) {
      return this.unstableEntries[i - this.unstableOffset]!.term;
    }
    if (this.unstableSnapshot && i === this.unstableSnapshot.index) return this.unstableSnapshot.term;
    try {
      return this.storage.term(i);
    } catch (e) {
      if (e instanceof CompactedError || e instanceof UnavailableError) return undefined;
      throw e;
    }
  }

  matchTerm(i: LogIndex, t: Term): boolean {
    return this.term(i) === t;
  }

  /** §5.4.1: is a log ending at (index, term) at least as up-to-date as ours? */
  isUpToDate(index: LogIndex, term: Term): boolean {
    const lastTerm = this.lastTerm();
    return term > lastTerm || (term === lastTerm && index >= this.lastIndex());
  }

  /**
   * The AppendEntries consistency check and append (§5.3). Returns the last index of the new
   * entries if the log matched at (index, logTerm), else undefined.
   */
  maybeAppend(index: LogIndex, logTerm: Term, committed: LogIndex, entries: readonly Entry[]): LogIndex | undefined {
    if (!this.matchTerm(index, logTerm)) return undefined;
    const lastNew = asIndex(index + entries.length);
    const conflict = this.findConflict(entries);
    if (conflict !== 0) {
      if (conflict <= this.committed) {
        throw new RaftInvariantError(`entry ${conflict} conflicts with committed entry (committed ${this.committed})`);
      }
      this.append(entries.slice(conflict - index - 1));
    }
    this.commitTo(asIndex(Math.min(committed, lastNew)));
    return lastNew;
  }

  /** Appends to the unstable tail, truncating any suffix from the first new index. */
  append(entries: readonly Entry[]): LogIndex {
    if (entries.length === 0) return this.lastIndex();
    const after = entries[0]!.index;
    if (after - 1 < this.committed) {
      throw new RaftInvariantError(`appending at ${after} would truncate committed ${this.committed}`);
    }
    const end = this.unstableOffset + this.unstableEntries.length;
    if (after === end) {
      this.unstableEntries.push(...entries);
    } else if (after <= this.unstableOffset) {
      // Stable entries from `after` on are being replaced: they leave the recent window too.
      this.dropRecentFrom(after);
      this.unstableOffset = after;
      this.unstableEntries = [...entries];
    } else {
      this.unstableEntries = this.unstableEntries.slice(0, after - this.unstableOffset).concat(entries);
    }
    return this.lastIndex();
  }

  /** The index of the first entry whose term differs from ours (or that we lack), 0 if none. */
  private findConflict(entries: readonly Entry[]): number {
    for (const e of entries) if (!this.matchTerm(e.index, e.term)) return e.index;
    return 0;
  }

  /**
   * Fast backtracking hint: the largest index <= `index` whose term is <= `term`, with that term.
   * A leader probing at (index, term) can skip everything above it.
   */
  findConflictByTerm(index: LogIndex, term: Term): { index: LogIndex; term: Term } {
    let i = index;
    for (;;) {
      const t = this.term(i);
      if (t === undefined) return { index: i, term: asTerm(0) };
      if (t <= term) return { index: i, term: t };
      i = asIndex(i - 1);
    }
  }

  /** Entries [lo, hi) from storage and the unstable tail, within the byte budget. */
  slice(lo: LogIndex, hi: LogIndex, maxBytes: number): Entry[] {
    if (lo >= hi) return [];
    if (lo < this.firstIndex()) throw new CompactedError(lo, this.firstIndex());
    if (hi > this.lastIndex() + 1) throw new UnavailableError(hi - 1, this.lastIndex());
    let out: Entry[] = [];
    if (lo < this.unstableOffset) {
      const stableHi = Math.min(hi, this.unstableOffset);
      const recentLo = this.recent.length > 0 ? this.recent[0]!.index : this.unstableOffset;
      out =
        lo >= recentLo
          ? limitSize(this.recent.slice(lo - recentLo, stableHi - recentLo), maxBytes)
          : this.storage.entries(lo, asIndex(stableHi), maxBytes);
      if (out.length < stableHi - lo) return out;
    }
    if (hi > this.unstableOffset) {
      const from = Math.max(lo, this.unstableOffset) - this.unstableOffset;
      out = out.concat(this.unstableEntries.slice(from, hi - this.unstableOffset));
    }
    return limitSize(out, maxBytes);
  }

  /** Entries from `lo` to the end, at most maxEntries and maxBytes; undefined if compacted. */
  entriesFrom(lo: LogIndex, maxEntries: number, maxBytes: number): Entry[] | undefined {
    if (lo > this.lastIndex()) return [];
    if (lo < this.firstIndex()) return undefined;
    return this.slice(lo, asIndex(Math.min(this.lastIndex() + 1, lo + maxEntries)), maxBytes);
  }

  hasNextCommittedEntries(): boolean {
    return this.committed > Math.max(this.applied, this.firstIndex() - 1);
  }

  /** Committed entries not yet applied. */
  nextCommittedEntries(): Entry[] {
    const lo = asIndex(Math.max(this.applied + 1, this.firstIndex()));
    if (this.committed + 1 <= lo) return [];
    return this.slice(lo, asIndex(this.committed + 1), this.maxBytes);
  }

  commitTo(index: LogIndex): void {
    if (index <= this.committed) return;
    if (index > this.lastIndex()) {
      throw new RaftInvariantError(`commit ${index} is out of range (last index ${this.lastIndex()})`);
    }
    this.committed = index;
  }

  /** Commits `index` if it holds an entry of `term` (the §5.4.2 rule, enforced by the caller). */
  maybeCommit(index: LogIndex, term: Term | undefined): boolean {
    if (index > this.committed && (term === undefined || this.term(index) === term)) {
      this.commitTo(index);
      return true;
    }
    return false;
  }

  appliedTo(index: LogIndex): void {
    if (index === 0) return;
    if (index > this.committed || index < this.applied) {
      throw new RaftInvariantError(`applied ${index} is out of range [${this.applied}, ${this.committed}]`);
    }
    this.applied = index;
  }

  /** The caller persisted entries up to (index, term): drop them from the unstable tail. */
  stableTo(index: LogIndex, term: Term): void {
    if (index < this.unstableOffset || this.unstableEntries.length === 0) return;
    const k = index - this.unstableOffset;
    if (k >= this.unstableEntries.length || this.unstableEntries[k]!.term !== term) return;
    this.rememberStable(this.unstableEntries.slice(0, k + 1));
    this.unstableEntries = this.unstableEntries.slice(k + 1);
    this.unstableOffset = asIndex(index + 1);
  }

  /** Adds entries just made stable (they start at unstableOffset) to the recent window, within its bounds. */
  private rememberStable(entries: readonly Entry[]): void {
    const recent = this.recent.length > 0 && this.recent[this.recent.length - 1]!.index + 1 === entries[0]!.index ? this.recent : [];
    let bytes = recent === this.recent ? this.recentBytes : 0;
    for (const e of entries) {
      recent.push(e);
      bytes += e.data.length;
    }
    let drop = 0;
    while (drop < recent.length - 1 && (recent.length - drop > RECENT_ENTRIES || bytes > RECENT_BYTES)) bytes -= recent[drop++]!.data.length;
    this.recent = drop > 0 ? recent.slice(drop) : recent;
    this.recentBytes = bytes;
  }

  /** Forgets recent entries at or above `index` (they are being overwritten). */
  private dropRecentFrom(index: LogIndex): void {
    const first = this.recent.length > 0 ? this.recent[0]!.index : index;
    if (index > first + this.recent.length - 1) return;
    this.recent = index <= first ? [] : this.recent.slice(0, index - first);
    this.recentBytes = 0;
    for (const e of this.recent) this.recentBytes += e.data.length;
  }

  stableSnapshotTo(index: LogIndex): void {
    if (this.unstableSnapshot && this.unstableSnapshot.index === index) this.unstableSnapshot = undefined;
  }

  snapshot(): Snapshot {
    return this.unstableSnapshot ?? this.storage.snapshot();
  }

  /** Replaces the log with a snapshot from the leader (§7). */
  restore(snapshot: Snapshot): void {
    this.committed = snapshot.index;
    this.unstableOffset = asIndex(snapshot.index + 1);
    this.unstableEntries = [];
    this.unstableSnapshot = snapshot;
    this.recent = [];
    this.recentBytes = 0;
  }

  /** Every entry currently available, for status and tests. */
  allEntries(): Entry[] {
    return this.slice(this.firstIndex(), asIndex(this.lastIndex() + 1), Number.POSITIVE_INFINITY);
  }
}
