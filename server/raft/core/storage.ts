/**
 * The seam between the Raft core and stable storage, in the style of etcd's `Storage`.
 *
 * The core only reads through this interface; the caller writes to it (append, hard state,
 * snapshot) while handling a `Ready`, before the messages of that Ready are sent.
 * Invariant: firstIndex() - 1 is the index of the last compacted entry (the snapshot index), and
 * term(firstIndex() - 1) is answerable (the snapshot term).
 */
import type { Entry, HardState, LogIndex, NodeId, Snapshot, Term } from './types';

export interface InitialState {
  readonly hardState: HardState;
  /** The voters recorded in storage (from the latest snapshot), empty if none. */
  readonly voters: readonly NodeId[];
}

export interface Storage {
  initialState(): InitialState;
  /**
   * Entries in [lo, hi), at most `maxBytes` of payload but always at least one if any exist.
   * Throws CompactedError if lo <= the snapshot index, UnavailableError if hi > lastIndex() + 1.
   */
  entries(lo: LogIndex, hi: LogIndex, maxBytes: number): Entry[];
  /** The term of entry i, for firstIndex()-1 <= i <= lastIndex(); throws otherwise. */
  term(i: LogIndex): Term;
  firstIndex(): LogIndex;
  lastIndex(): LogIndex;
  /** The most recent snapshot; throws SnapshotTemporarilyUnavailableError if not ready yet. */
  snapshot(): Snapshot;
}

/** The requested index precedes the first available one: it is covered by a snapshot. */
export class CompactedError extends Error {
  override readonly name = 'CompactedError';
  constructor(readonly index: number, readonly firstIndex: number) {
    super(`index ${index} is compacted (first available index is ${firstIndex})`);
  }
}

/** The requested index is past the last one in storage. */
export class UnavailableError extends Error {
  override readonly name = 'UnavailableError';
  constructor(readonly index: number, readonly lastIndex: number) {
    super(`index ${index} is unavailable (last index is ${lastIndex})`);
  }
}

/** A snapshot is being produced; the leader retries later. */
export class SnapshotTemporarilyUnavailableError extends Error {
  override readonly name = 'SnapshotTemporarilyUnavailableError';
  constructor() {
    super('snapshot is temporarily unavailable');
  }
}

/** An older snapshot than the one stored was applied. */
export class SnapshotOutOfDateError extends Error {
  override readonly name = 'SnapshotOutOfDateError';
  constructor(readonly index: number, readonly current: number) {
    super(`snapshot at ${index} is older than the stored snapshot at ${current}`);
  }
}

/** A caller broke an invariant of the core (e.g. appended a non-contiguous entry). */
export class RaftInvariantError extends Error {
  override readonly name = 'RaftInvariantError';
}

/** The payload size of entries, for batching limits. */
export function entriesBytes(entries: readonly Entry[]): number {
  let n = 0;
  for (const e of entries) n += e.data.length;
  return n;
}

/** Keeps a prefix of `entries` within maxBytes, always at least one entry. */
export function limitSize(entries: Entry[], maxBytes: number): Entry[] {
  if (entries.length === 0) return entries;
  let size = entries[0]!.data.length;
  let k = 1;
  for (; k < entries.length; k++) {
    size += entries[k]!.data.length;
    if (size > maxBytes) break;
  }
  return k === entries.length ? entries : entries.slice(0, k);
}

/**
 * The writes a node shell makes to its storage while handling a Ready. Every implementation
 * (MemoryStorage, the durable one) passes the shared suite in storage-suite.ts.
 */
export interface WritableStorage extends Storage {
  setHardState(hardState: HardState): void;
  /** Appends entries, truncating any conflicting suffix first. */
  append(entries: readonly Entry[]): void;
  /** Replaces the log with a snapshot received from the leader. */
  applySnapshot(snapshot: Snapshot): void;
  /** Records a snapshot of the state machine at `index` (<= lastIndex). */
  createSnapshot(index: LogIndex, data: Uint8Array): Snapshot;
  /** Discards entries before `index`; term(index) stays answerable. */
  compact(index: LogIndex): void;
}
