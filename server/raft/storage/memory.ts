/**
 * MemoryStorage: the in-memory `Storage`, like etcd's. The simulation and the scenario tests use
 * it as the page cache of a node; a durable implementation lives beside it.
 *
 * Invariant: `entries[0]` is a dummy entry at (snapshot.index, snapshot.term); the real entries
 * follow contiguously, so firstIndex() = entries[0].index + 1.
 */
import {
  CompactedError,
  RaftInvariantError,
  SnapshotOutOfDateError,
  UnavailableError,
  limitSize,
  type InitialState,
  type WritableStorage,
} from '../core/storage';
import {
  EMPTY_HARD_STATE,
  EMPTY_SNAPSHOT,
  asIndex,
  type Entry,
  type HardState,
  type LogIndex,
  type Snapshot,
  type Term,
} from '../core/types';

const NO_DATA = new Uint8Array(0);

export class MemoryStorage implements WritableStorage {
  private hardState: HardState = EMPTY_HARD_STATE;
  private snap: Snapshot = EMPTY_SNAPSHOT;
  private ents: Entry[] = [{ index: asIndex(0), term: EMPTY_SNAPSHOT.term, data: NO_DATA }];

  initialState(): InitialState {
    return { hardState: this.hardState, voters: this.snap.voters };
  }

  setHardState(hardState: HardState): void {
    this.hardState = hardState;
  }

  entries(lo: LogIndex, hi: LogIndex, maxBytes: number): Entry[] {
    const offset = this.ents[0]!.index;
    if (lo <= offset) throw new CompactedError(lo, offset + 1);
    if (hi > this.lastIndex() + 1) throw new UnavailableError(hi - 1, this.lastIndex());
    return limitSize(this.ents.slice(lo - offset, hi - offset), maxBytes);
  }

  term(i: LogIndex): Term {
    const offset = this.ents[0]!.index;
    if (i < offset) throw new CompactedError(i, offset + 1);
    if (i - offset >= this.ents.length) throw new UnavailableError(i, this.lastIndex());
    return this.ents[i - offset]!.term;
  }

  firstIndex(): LogIndex {
    return asIndex(this.ents[0]!.index + 1);
  }

  lastIndex(): LogIndex {
    return asIndex(this.ents[0]!.index + this.ents.length - 1);
  }

  snapshot(): Snapshot {
    return this.snap;
  }

  /** Replaces the whole log with a snapshot (a follower installing one). */
  applySnapshot(snapshot: Snapshot): void {
    if (snapshot.index < this.snap.index) throw new SnapshotOutOfDateError(snapshot.index, this.snap.index);
    this.snap = snapshot;
    this.ents = [{ index: snapshot.index, term: snapshot.term, data: NO_DATA }];
  }

  /**
   * Records a snapshot of the state machine at `index` (which must be <= lastIndex); the log is
   * compacted separately with `compact`.
   */
  createSnapshot(index: LogIndex, data: Uint8Array): Snapshot {
    if (index <= this.snap.index) throw new SnapshotOutOfDateError(index, this.snap.index);
    if (index > this.lastIndex()) throw new UnavailableError(index, this.lastIndex());
    this.snap = { index, term: this.term(index), voters: this.snap.voters, data };
    return this.snap;
  }

  /** Sets the voters recorded with future snapshots (the group's static membership). */
  setVoters(voters: Snapshot['voters']): void {
    this.snap = { ...this.snap, voters };
  }

  /** Drops entries before `compactIndex`; the entry at compactIndex becomes the dummy. */
  compact(compactIndex: LogIndex): void {
    const offset = this.ents[0]!.index;
    if (compactIndex <= offset) throw new CompactedError(compactIndex, offset + 1);
    if (compactIndex > this.lastIndex()) throw new UnavailableError(compactIndex, this.lastIndex());
    const k = compactIndex - offset;
    const head = this.ents[k]!;
    this.ents = [{ index: head.index, term: head.term, data: NO_DATA }, ...this.ents.slice(k + 1)];
  }

  /**
   * Appends entries, truncating any conflicting suffix. Entries already compacted are skipped.
   * Throws RaftInvariantError if the entries would leave a gap.
   */
  append(entries: readonly Entry[]): void {
    if (entries.length === 0) return;
    const first = this.firstIndex();
    const last = entries[entries.length - 1]!.index;
    if (last < first) return;
    const from = entries[0]!.index < first ? entries.slice(first - entries[0]!.index) : entries;
    const offset = from[0]!.index - this.ents[0]!.index;
    if (offset > this.ents.length) {
      throw new RaftInvariantError(`missing log entry: last ${this.lastIndex()}, appending at ${from[0]!.index}`);
    }
    this.ents = this.ents.slice(0, offset).concat(from);
  }
}
