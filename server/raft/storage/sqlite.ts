/**
 * SqliteStorage: the durable `WritableStorage` of a Raft node, on better-sqlite3 (WAL,
 * `synchronous=FULL`, so every committed transaction is fsynced before `commit` returns).
 *
 * Format (schema version 1), one database file per node:
 *   entries(idx INTEGER PRIMARY KEY, term, data BLOB, crc)   the log after the compacted prefix
 *   meta(key TEXT PRIMARY KEY, value BLOB, crc)              'hard' (term, vote, commit),
 *     (WITHOUT ROWID since databases created after 2026-11-26: a hard state write touches one page,
 *     not the table's and its key index's; older databases keep their rowid table, same statements)
 *                                                             'start' (index, term of the last compacted entry),
 *                                                             'snapshot' (index, term, voters, data),
 *                                                             'format' (schema version)
 * Every record carries a CRC-32 over its identity and payload (an entry: index, term, data), verified
 * when it is read: at open every record is checked, and `entries()` checks again on each read. A
 * mismatch throws `StorageCorruptionError`; a failed write throws `StorageWriteError` and poisons the
 * storage (every later call throws), so a node never serves data it could not make durable.
 *
 * Invariants: the entries in the table are exactly (start.index, lastIndex], contiguous; `terms` is an
 * in-memory copy of their terms (terms[0] = start.term), verified at open.
 * `batch(fn)` runs the writes of one Ready in one transaction: hard state, entries and snapshot
 * become durable together or not at all.
 *
 * WAL checkpoints (copying the WAL into the database file, with its own fsync) run on a worker
 * thread with its own connection (`PRAGMA wal_checkpoint(PASSIVE)`, which never blocks the writer),
 * so they do not stall the event loop between a proposal and its acknowledgement. SQLite's inline
 * auto-checkpoint stays as a bound (at 10 000 pages) should the worker fall behind or fail.
 */
import { closeSync, constants, fdatasync, fstatSync, fsyncSync, openSync, statSync, writeSync } from 'node:fs';
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import { crc32 } from 'node:zlib';
import Database from 'better-sqlite3';
import { Decoder, Encoder } from '../../../lib/codec';
import {
  CompactedError,
  RaftInvariantError,
  SnapshotOutOfDateError,
  UnavailableError,
  type InitialState,
  type WritableStorage,
} from '../core/storage';
import {
  EMPTY_HARD_STATE,
  EMPTY_SNAPSHOT,
  asIndex,
  asNodeId,
  asTerm,
  type Entry,
  type HardState,
  type LogIndex,
  type NodeId,
  type Snapshot,
  type Term,
} from '../core/types';

const FORMAT_VERSION = 1;

/** A stored record failed its checksum or is structurally impossible: the node must stop. */
export class StorageCorruptionError extends Error {
  override readonly name = 'StorageCorruptionError';
  constructor(readonly path: string, readonly record: string, reason: string) {
    super(`storage ${path} is corrupt: ${record}: ${reason}`);
  }
}

/** A write (or its fsync) failed: what was asked is not durable, and the node must stop. */
export class StorageWriteError extends Error {
  override readonly name = 'StorageWriteError';
  constructor(readonly path: string, readonly operation: string, override readonly cause: unknown) {
    super(`storage ${path}: ${operation} failed: ${cause instanceof Error ? cause.message : String(cause)}`);
  }
}

export interface SqliteStorageOptions {
  /** The database file (created if missing; its directory must exist). */
  readonly path: string;
  /** The group's voters, recorded with snapshots this node creates. */
  readonly voters?: readonly NodeId[];
  /** Milliseconds between background checkpoints; default 500. 0: checkpoint inline (SQLite's default). */
  readonly checkpointIntervalMs?: number;
  /**
   * Bytes of WAL to allocate at open (default 0: none), as etcd preallocates its WAL segments: the
   * WAL file is grown once to this size with zeros and then reused from its start, so a commit's
   * fsync flushes data blocks only, never a changed file size (which costs a journal commit on ext4:
   * measured here, p50 0.60 → 0.34 ms per fsynced 4 KB entry). The inline auto-checkpoint bound is set
   * to the same size, so a busy WAL wraps inside the allocated file instead of growing past it.
   */
  readonly walPreallocateBytes?: number;
}

/** Runs passive WAL checkpoints on its own connection until told to stop (plain CommonJS for `eval`). */
const CHECKPOINTER = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.module);
const db = new Database(workerData.path);
db.pragma('synchronous = FULL');
const timer = setInterval(() => {
  try { db.pragma('wal_checkpoint(PASSIVE)'); } catch { /* busy or closing: the next round retries */ }
}, workerData.intervalMs);
parentPort.once('message', () => {
  clearInterval(timer);
  db.close();
  Atomics.store(workerData.closed, 0, 1);
  Atomics.notify(workerData.closed, 0);
  parentPort.close();
});
`;
/** How long `close()` waits for the checkpointer to close its connection. */
const CHECKPOINTER_CLOSE_MS = 2_000;
const INLINE_CHECKPOINT_PAGES = 10_000;

interface EntryRow {
  idx: number;
  term: number;
  data: Uint8Array;
  crc: number;
}
interface MetaRow {
  value: Uint8Array;
  crc: number;
}

/**
 * zlib.crc32 with an initial value. Node 20's crc32 returns 0 (not `initial`) for an empty buffer
 * whose ArrayBuffer is empty (as better-sqlite3 returns empty blobs), so empty input is handled here.
 */
function crc(data: Uint8Array | string, initial = 0): number {
  return data.length === 0 ? initial : crc32(data, initial);
}

/** CRC-32 of an entry: over its index, term and data, so a misplaced or altered row is caught. */
export function entryChecksum(index: number, term: number, data: Uint8Array): number {
  const head = new Encoder(16);
  head.writeVarUint(index);
  head.writeVarUint(term);
  return crc(data, crc(head.toBytes()));
}

const toBytes = (b: Uint8Array): Uint8Array => new Uint8Array(b.buffer, b.byteOffset, b.byteLength);

/** Closes a descriptor that may already be unusable (the storage is failing or closing anyway). */
function closeQuietly(fd: number): void {
  try {
    closeSync(fd);
  } catch {
    // nothing left to do with it
  }
}

export class SqliteStorage implements WritableStorage {
  private readonly db: Database;
  private hard: HardState = EMPTY_HARD_STATE;
  private snap: Snapshot = EMPTY_SNAPSHOT;
  private startIndex: LogIndex = asIndex(0);
  /** terms[k] is the term of entry startIndex + k; terms[0] is the compacted entry's (start) term. */
  private terms: Term[] = [asTerm(0)];
  private voters: readonly NodeId[];
  private failure: Error | undefined;
  private depth = 0;
  private checkpointer: { readonly worker: Worker; readonly closed: Int32Array; failed: boolean } | undefined;
  /** The WAL file, opened for background syncs (syncInBackground), and how many are in flight. */
  private wal: { fd: number; inFlight: number; closeWhenIdle: boolean } | undefined;

  /** Runs `fn` in one transaction (one wrapper for every batch, not one per call). */
  private readonly inTransaction: (fn: () => unknown) => unknown;

  private readonly statements: {
    insertEntry: Database.Statement;
    deleteFrom: Database.Statement;
    deleteBelow: Database.Statement;
    deleteAll: Database.Statement;
    range: Database.Statement<EntryRow>;
    putMeta: Database.Statement;
    getMeta: Database.Statement<MetaRow>;
  };

  private constructor(readonly path: string, options: SqliteStorageOptions) {
    this.voters = options.voters ?? [];
    try {
      this.db = new Database(path);
      this.db.pragma('journal_mode = WAL');
      this.db.pragma('synchronous = FULL');
      this.db.exec(`
        CREATE TABLE IF NOT EXISTS entries (idx INTEGER PRIMARY KEY, term INTEGER NOT NULL, data BLOB NOT NULL, crc INTEGER NOT NULL);
        CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value BLOB NOT NULL, crc INTEGER NOT NULL) WITHOUT ROWID;
      `);
    } catch (error) {
      throw new StorageWriteError(path, 'open', error);
    }
    const transaction = this.db.transaction((fn: () => unknown) => fn());
    this.inTransaction = (fn) => transaction(fn);
    this.statements = {
      insertEntry: this.db.prepare('INSERT INTO entries (idx, term, data, crc) VALUES (?, ?, ?, ?)'),
      deleteFrom: this.db.prepare('DELETE FROM entries WHERE idx >= ?'),
      deleteBelow: this.db.prepare('DELETE FROM entries WHERE idx <= ?'),
      deleteAll: this.db.prepare('DELETE FROM entries'),
      range: this.db.prepare<EntryRow>('SELECT idx, term, data, crc FROM entries WHERE idx >= ? AND idx < ? ORDER BY idx'),
      putMeta: this.db.prepare('INSERT OR REPLACE INTO meta (key, value, crc) VALUES (?, ?, ?)'),
      getMeta: this.db.prepare<MetaRow>('SELECT value, crc FROM meta WHERE key = ?'),
    };
    this.load();
    const pageSize = this.db.pragma('page_size', { simple: true }) as number;
    const walPages = Math.floor((options.walPreallocateBytes ?? 0) / pageSize);
    if (walPages > 0) this.preallocateWal(walPages * pageSize);
    const interval = options.checkpointIntervalMs ?? 500;
    if (interval > 0) this.startCheckpointer(interval, walPages > 0 ? walPages : INLINE_CHECKPOINT_PAGES);
  }

  /**
   * Grows the WAL file to `bytes` with zeros after its end, unless it is that large already. SQLite
   * reads a WAL only up to its last valid frame (a zero frame fails the checksum) and, once a
   * checkpoint has copied every frame, writes the next ones from the start of the file again, so
   * the zeros are never read as data and commits stop growing the file. The database file is not
   * touched (an earlier way, a zero blob written and dropped through SQLite, left the freed pages
   * as a free list that every later append had to update: 4.1 WAL frames per 4 KB append against
   * 3.1 without). The zeros are fsynced once here.
   */
  private preallocateWal(bytes: number): void {
    const path = `${this.path}-wal`;
    try {
      const fd = openSync(path, constants.O_RDWR | constants.O_CREAT, 0o644);
      try {
        let at = fstatSync(fd).size;
        if (at >= bytes) return;
        const zeros = new Uint8Array(Math.min(bytes - at, 1 << 20));
        while (at < bytes) at += writeSync(fd, zeros, 0, Math.min(zeros.length, bytes - at), at);
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
    } catch (error) {
      throw this.fail('WAL preallocation', error);
    }
  }

  private startCheckpointer(intervalMs: number, inlinePages: number): void {
    this.db.pragma(`wal_autocheckpoint = ${inlinePages}`);
    const module = createRequire(import.meta.url).resolve('better-sqlite3');
    const closed = new Int32Array(new SharedArrayBuffer(4));
    const worker = new Worker(CHECKPOINTER, { eval: true, workerData: { module, path: this.path, intervalMs, closed } });
    worker.unref();
    const checkpointer = { worker, closed, failed: false };
    // A failed checkpointer costs only speed: the inline auto-checkpoint still bounds the WAL.
    worker.on('error', () => (checkpointer.failed = true));
    worker.on('exit', () => (checkpointer.failed = true));
    this.checkpointer = checkpointer;
  }

  /** Opens (or creates) the storage at `options.path`, verifying every record. */
  static open(options: SqliteStorageOptions): SqliteStorage {
    return new SqliteStorage(options.path, options);
  }

  // ---- read side (Storage) ----

  initialState(): InitialState {
    this.check();
    return { hardState: this.hard, voters: this.snap.voters };
  }

  entries(lo: LogIndex, hi: LogIndex, maxBytes: number): Entry[] {
    this.check();
    if (lo <= this.startIndex) throw new CompactedError(lo, this.startIndex + 1);
    if (hi > this.lastIndex() + 1) throw new UnavailableError(hi - 1, this.lastIndex());
    const out: Entry[] = [];
    let size = 0;
    // iterate, not all(): a far-behind follower's range stops reading at maxBytes.
    for (const row of this.statements.range.iterate(lo, hi)) {
      const entry = this.verifyEntry(row, lo + out.length);
      size += entry.data.length;
      if (out.length > 0 && size > maxBytes) break;
      out.push(entry);
    }
    if (out.length > 0 && out.length < hi - lo && size <= maxBytes) {
      throw new StorageCorruptionError(this.path, `entry ${lo + out.length}`, 'missing');
    }
    if (out.length === 0 && hi > lo) throw new StorageCorruptionError(this.path, `entry ${lo}`, 'missing');
    return out;
  }

  term(i: LogIndex): Term {
    this.check();
    if (i < this.startIndex) throw new CompactedError(i, this.startIndex + 1);
    if (i > this.lastIndex()) throw new UnavailableError(i, this.lastIndex());
    return this.terms[i - this.startIndex]!;
  }

  firstIndex(): LogIndex {
    return asIndex(this.startIndex + 1);
  }

  lastIndex(): LogIndex {
    return asIndex(this.startIndex + this.terms.length - 1);
  }

  snapshot(): Snapshot {
    this.check();
    return this.snap;
  }

  // ---- write side (WritableStorage) ----

  /**
   * Runs `fn` (the writes of one Ready) in one transaction; nested batches join the outer one.
   * `sync` false (a Ready without `mustSync`: only the commit index changed) commits without an
   * fsync (`synchronous=NORMAL` for that transaction); the next synced commit makes it durable
   * too, since the WAL is one file written in order. Raft does not need the commit index durable.
   */
  batch<T>(fn: () => T, sync = true): T {
    this.check();
    if (this.depth > 0) return fn();
    const saved = this.saveMemory();
    this.depth++;
    try {
      this.setSync(sync);
      return this.inTransaction(fn) as T;
    } catch (error) {
      this.restoreMemory(saved);
      throw this.fail('batch', error);
    } finally {
      this.depth--;
    }
  }

  private synchronous = true;

  private setSync(sync: boolean): void {
    if (sync === this.synchronous) return;
    this.db.pragma(sync ? 'synchronous = FULL' : 'synchronous = NORMAL');
    this.synchronous = sync;
  }

  setHardState(hardState: HardState): void {
    this.write('setHardState', () => {
      const e = new Encoder(24);
      e.writeVarUint(hardState.term);
      e.writeVarUint(hardState.vote);
      e.writeVarUint(hardState.commit);
      this.putMeta('hard', e.toBytes());
      this.hard = hardState;
    });
  }

  append(entries: readonly Entry[]): void {
    if (entries.length === 0) return;
    this.write('append', () => {
      const first = this.firstIndex();
      const last = entries[entries.length - 1]!.index;
      if (last < first) return;
      const from = entries[0]!.index < first ? entries.slice(first - entries[0]!.index) : entries;
      const offset = from[0]!.index - this.startIndex;
      if (offset > this.terms.length) {
        throw new RaftInvariantError(`missing log entry: last ${this.lastIndex()}, appending at ${from[0]!.index}`);
      }
      if (offset < this.terms.length) this.statements.deleteFrom.run(from[0]!.index);
      const terms = this.terms.slice(0, offset);
      for (const e of from) {
        this.statements.insertEntry.run(e.index, e.term, e.data, entryChecksum(e.index, e.term, e.data));
        terms.push(e.term);
      }
      this.terms = terms;
    });
  }

  applySnapshot(snapshot: Snapshot): void {
    if (snapshot.index < this.snap.index) throw new SnapshotOutOfDateError(snapshot.index, this.snap.index);
    this.write('applySnapshot', () => {
      this.statements.deleteAll.run();
      this.putSnapshot(snapshot);
      this.putStart(snapshot.index, snapshot.term);
      this.terms = [snapshot.term];
    });
  }

  createSnapshot(index: LogIndex, data: Uint8Array): Snapshot {
    if (index <= this.snap.index) throw new SnapshotOutOfDateError(index, this.snap.index);
    if (index > this.lastIndex()) throw new UnavailableError(index, this.lastIndex());
    const voters = this.snap.voters.length > 0 ? this.snap.voters : this.voters;
    const snapshot: Snapshot = { index, term: this.term(index), voters, data };
    this.write('createSnapshot', () => this.putSnapshot(snapshot));
    return snapshot;
  }

  compact(index: LogIndex): void {
    if (index <= this.startIndex) throw new CompactedError(index, this.startIndex + 1);
    if (index > this.lastIndex()) throw new UnavailableError(index, this.lastIndex());
    this.write('compact', () => {
      const term = this.term(index);
      this.statements.deleteBelow.run(index);
      this.terms = this.terms.slice(index - this.startIndex);
      this.putStart(index, term);
    });
  }

  /**
   * Makes everything written so far durable without blocking: an fdatasync of the WAL file on the
   * thread pool, as SQLite syncs its WAL (fdatasync also flushes a changed file size). In WAL mode a
   * transaction only appends to the WAL, and a checkpoint syncs the WAL before copying it into the
   * database, so this covers every earlier batch, synced or not.
   * `done` gets the failure, if any, which also poisons the storage like a failed write.
   */
  syncInBackground(done: (error?: Error) => void): void {
    try {
      this.check();
      const wal = this.openWal();
      wal.inFlight++;
      fdatasync(wal.fd, (error) => {
        wal.inFlight--;
        if (wal.closeWhenIdle && wal.inFlight === 0) closeQuietly(wal.fd);
        if (error) done(this.fail('fsync', error));
        else done();
      });
    } catch (error) {
      done(error instanceof StorageCorruptionError || error instanceof StorageWriteError ? error : this.fail('fsync', error));
    }
  }

  /** The WAL file's descriptor, reopened if the file was replaced (it never is while the database is open). */
  private openWal(): { fd: number; inFlight: number; closeWhenIdle: boolean } {
    const path = `${this.path}-wal`;
    if (this.wal && fstatSync(this.wal.fd).ino === statSync(path).ino) return this.wal;
    if (this.wal) {
      if (this.wal.inFlight === 0) closeQuietly(this.wal.fd);
      else this.wal.closeWhenIdle = true;
    }
    this.wal = { fd: openSync(path, 'r+'), inFlight: 0, closeWhenIdle: false };
    return this.wal;
  }

  /** Closes the database; later calls throw. */
  close(): void {
    const wal = this.wal;
    this.wal = undefined;
    if (wal) {
      // What the background syncs were still making durable is made durable now.
      try {
        fsyncSync(wal.fd);
      } catch {
        // closing anyway; SQLite's own close below syncs what it checkpoints
      }
      if (wal.inFlight === 0) closeQuietly(wal.fd);
      else wal.closeWhenIdle = true;
    }
    const checkpointer = this.checkpointer;
    this.checkpointer = undefined;
    if (checkpointer && !checkpointer.failed) {
      // Wait (bounded) until its connection is closed, so nothing touches the files after close().
      checkpointer.worker.postMessage('stop');
      Atomics.wait(checkpointer.closed, 0, 0, CHECKPOINTER_CLOSE_MS);
    }
    if (this.db.open) this.db.close();
    this.failure ??= new Error(`storage ${this.path} is closed`);
  }

  // ---- internals ----

  private check(): void {
    if (this.failure) throw this.failure;
  }

  private fail(operation: string, error: unknown): Error {
    const failure =
      error instanceof StorageCorruptionError || error instanceof StorageWriteError ? error : new StorageWriteError(this.path, operation, error);
    // Invariant errors are the caller's bug, not a disk failure: they do not poison the storage.
    if (error instanceof RaftInvariantError) return error;
    this.failure = failure;
    return failure;
  }

  /** One write: its own transaction unless inside `batch`. */
  private write(operation: string, fn: () => void): void {
    this.check();
    if (this.depth > 0) return fn();
    const saved = this.saveMemory();
    try {
      this.setSync(true);
      this.inTransaction(fn);
    } catch (error) {
      this.restoreMemory(saved);
      throw this.fail(operation, error);
    }
  }

  private saveMemory() {
    return { hard: this.hard, snap: this.snap, startIndex: this.startIndex, terms: this.terms };
  }

  private restoreMemory(saved: ReturnType<SqliteStorage['saveMemory']>): void {
    this.hard = saved.hard;
    this.snap = saved.snap;
    this.startIndex = saved.startIndex;
    this.terms = saved.terms;
  }

  private putMeta(key: string, value: Uint8Array): void {
    this.statements.putMeta.run(key, value, crc(value, crc(key)));
  }

  private readMeta(key: string): Decoder | undefined {
    const row = this.statements.getMeta.get(key);
    if (!row) return undefined;
    const value = toBytes(row.value);
    if (crc(value, crc(key)) !== row.crc) throw new StorageCorruptionError(this.path, `meta '${key}'`, 'checksum mismatch');
    return new Decoder(value);
  }

  private putStart(index: LogIndex, term: Term): void {
    const e = new Encoder(16);
    e.writeVarUint(index);
    e.writeVarUint(term);
    this.putMeta('start', e.toBytes());
    this.startIndex = index;
  }

  private putSnapshot(snapshot: Snapshot): void {
    const e = new Encoder(snapshot.data.length + 32);
    e.writeVarUint(snapshot.index);
    e.writeVarUint(snapshot.term);
    e.writeVarUint(snapshot.voters.length);
    for (const v of snapshot.voters) e.writeVarUint(v);
    e.writeBytes(snapshot.data);
    this.putMeta('snapshot', e.toBytes());
    this.snap = snapshot;
  }

  private verifyEntry(row: EntryRow, expectedIndex: number): Entry {
    const data = toBytes(row.data);
    if (row.idx !== expectedIndex) throw new StorageCorruptionError(this.path, `entry ${expectedIndex}`, `found index ${row.idx} (gap in the log)`);
    if (entryChecksum(row.idx, row.term, data) !== row.crc) throw new StorageCorruptionError(this.path, `entry ${row.idx}`, 'checksum mismatch');
    return { index: asIndex(row.idx), term: asTerm(row.term), data };
  }

  /** Reads and verifies every record (the startup scan). */
  private load(): void {
    try {
      const format = this.readMeta('format');
      if (format === undefined) {
        const e = new Encoder(8);
        e.writeVarUint(FORMAT_VERSION);
        this.putMeta('format', e.toBytes());
      } else {
        const version = format.readVarUint();
        if (version !== FORMAT_VERSION) throw new StorageCorruptionError(this.path, 'format', `unknown format version ${version}`);
      }
      const hard = this.readMeta('hard');
      if (hard) this.hard = { term: asTerm(hard.readVarUint()), vote: asNodeId(hard.readVarUint()), commit: asIndex(hard.readVarUint()) };
      const snap = this.readMeta('snapshot');
      if (snap) {
        const index = asIndex(snap.readVarUint());
        const term = asTerm(snap.readVarUint());
        const count = snap.readVarUintIn(0, 1024, 'voter count');
        const voters: NodeId[] = [];
        for (let k = 0; k < count; k++) voters.push(asNodeId(snap.readVarUint()));
        this.snap = { index, term, voters, data: snap.readBytes() };
        snap.expectEnd();
      }
      const start = this.readMeta('start');
      const startIndex = start ? asIndex(start.readVarUint()) : asIndex(0);
      const startTerm = start ? asTerm(start.readVarUint()) : asTerm(0);
      this.startIndex = startIndex;
      const terms: Term[] = [startTerm];
      for (const row of this.statements.range.all(startIndex + 1, Number.MAX_SAFE_INTEGER)) {
        const entry = this.verifyEntry(row, startIndex + terms.length);
        if (entry.term < terms[terms.length - 1]!) throw new StorageCorruptionError(this.path, `entry ${entry.index}`, 'term decreases');
        terms.push(entry.term);
      }
      this.terms = terms;
      if (this.snap.index > this.lastIndex()) throw new StorageCorruptionError(this.path, 'snapshot', `index ${this.snap.index} past the log`);
    } catch (error) {
      if (this.db.open) this.db.close();
      if (error instanceof StorageCorruptionError) throw error;
      if (error instanceof Error && error.name === 'DecodeError') throw new StorageCorruptionError(this.path, 'meta', error.message);
      throw new StorageWriteError(this.path, 'open', error);
    }
  }
}
