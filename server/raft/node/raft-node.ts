/**
 * RaftNode: one member of the persistence group as a running process: the node shell around a
 * `RawNode`, durable storage, a transport and the document store.
 *
 * The Ready loop follows the contract of core/rawnode.ts exactly, for every Ready:
 *   0. on a leader (rd.leaderMaySendFirst), send the appends, heartbeats and snapshots first, so
 *      the followers' fsyncs overlap the leader's own (thesis §10.2.1);
 *   1. persist snapshot + entries + hard state in ONE storage transaction, fsynced when
 *      rd.mustSync (new entries, term or vote). Except on a leader whose Ready sends nothing after
 *      the write (all its messages left in step 0): its entries are written without the fsync,
 *      which then runs in the background (SqliteStorage.syncInBackground, one at a time); the
 *      core (config.asyncLeaderSync) counts the leader's own entries toward a commit only once
 *      that sync is reported (RawNode.reportLeaderSynced), so a commit always rests on a majority
 *      of synced disks: two followers, or the leader and one follower. A term or vote change is
 *      never such a Ready (leaderMaySendFirst is false), and any later synced write also makes
 *      the earlier ones durable (one WAL file). A commit-only change is not written on its own:
 *      Raft needs no durable commit index (a restarted node relearns it from the leader), so it
 *      rides along with the next write of a term or vote, a snapshot (taken or installed), the
 *      stop, or entries once it has moved COMMIT_STORE_STRIDE entries past the stored one, then
 *   2. send the (other) messages: votes, vote replies, acknowledgements, then
 *   3. apply the snapshot and the committed entries to the store, resolve the merges this node
 *      proposed, release reads whose read index is applied, then
 *   4. advance.
 * The loop runs on `setImmediate` after any input (tick, message, request), so the inputs of one
 * event-loop turn share one Ready, one transaction and one fsync.
 *
 * Failure: a storage error (corruption, a failed write or fsync) is fatal: the node stops at once
 * (timers, transport, pending requests fail) and reports through `onFatal`; it never serves data it
 * could not make durable or read back intact.
 */
import { RawNode, canSendBeforePersist, type Ready } from '../core/rawnode';
import type { StepOutcome } from '../core/roles';
import type { WritableStorage } from '../core/storage';
import { DEFAULT_TUNING, NO_NODE, Role, asIndex, type HardState, type LogIndex, type NodeId, type Random, type SoftState, type Term } from '../core/types';
import type { DocId } from '../../../lib/sync/protocol';
import { encodeCommand } from '../store/command';
import { DocumentStore, type ApplyOutcome, type StoredDoc } from '../store/store';
import type { Transport } from '../transport/transport';
import { NodeStoppedError, NotLeaderError, RequestTimeoutError, UnavailableNodeError, RejectedUpdateError } from './errors';

/** Storage that can group the writes of one Ready into one transaction (SqliteStorage). */
export interface BatchingStorage extends WritableStorage {
  /** Runs the writes of `fn` as one transaction, durable (fsynced) when `sync`. */
  batch<T>(fn: () => T, sync?: boolean): T;
  /** Makes every batch so far durable without blocking; `done` gets the failure, if any. */
  syncInBackground(done: (error?: Error) => void): void;
  close(): void;
}

/**
 * A commit index that moved fewer entries than this since the stored one is not written on its own
 * account (see `RaftNode.mustStore`); a restart then re-applies at most this many entries late,
 * after the leader's next message.
 */
const COMMIT_STORE_STRIDE = 1000;

export interface RaftNodeOptions {
  readonly id: NodeId;
  readonly voters: readonly NodeId[];
  readonly storage: BatchingStorage;
  readonly transport: Transport;
  readonly random: Random;
  /** Milliseconds per Raft tick; default 10 (heartbeat 50 ms, election 300–600 ms). */
  readonly tickMs?: number;
  /** Snapshot the store and compact the log every this many applied entries; default 10 000. */
  readonly snapshotEvery?: number;
  /** Entries kept behind the snapshot for slow followers; default 1 000. */
  readonly keepEntries?: number;
  /** How long a merge or a linearizable read may wait; default 5 000 ms. */
  readonly requestTimeoutMs?: number;
  /** Unique per process start, so request ids never collide across restarts. */
  readonly bootId: string;
  readonly log: (line: string) => void;
  /** Called once when the node stops on a fatal error. */
  readonly onFatal: (error: Error) => void;
}

export interface MergeResult {
  readonly index: LogIndex;
  readonly versionVector: Uint8Array;
}

export interface ReadResult {
  /** Undefined when nothing was ever merged into the document. */
  readonly doc: StoredDoc | undefined;
  /** The document's version vector (an empty vector when unknown). */
  readonly versionVector: Uint8Array;
  /** The applied index the read saw (>= the read index for linearizable reads). */
  readonly index: LogIndex;
}

interface PendingMerge {
  readonly docId: DocId;
  readonly resolve: (result: MergeResult) => void;
  readonly reject: (error: Error) => void;
  readonly timer: NodeJS.Timeout;
}

interface PendingRead {
  index: LogIndex | undefined;
  readonly resolve: (index: LogIndex) => void;
  readonly reject: (error: Error) => void;
  readonly timer: NodeJS.Timeout;
}

export class RaftNode {
  readonly id: NodeId;
  private readonly raw: RawNode;
  private store: DocumentStore;
  private readonly storage: BatchingStorage;
  private readonly transport: Transport;
  private readonly pendingMerges = new Map<string, PendingMerge>();
  private readonly pendingReads = new Map<string, PendingRead>();
  private readonly leaderWaiters = new Set<() => void>();
  private soft: SoftState = { leader: NO_NODE, role: Role.Follower };
  private sequence = 0;
  private ticker: NodeJS.Timeout | undefined;
  private scheduled = false;
  private stopped = false;
  /** A hard state newer than the stored one that differs from it only in its commit index (not yet written). */
  private unsavedHardState: HardState | undefined;
  /** A background sync of the leader's writes is running; the latest write waiting for the next one. */
  private syncing = false;
  private syncWanted: { index: LogIndex; term: Term } | undefined;
  private readonly startedAt = Date.now();

  constructor(private readonly options: RaftNodeOptions) {
    this.id = options.id;
    this.storage = options.storage;
    this.transport = options.transport;
    const snapshot = this.storage.snapshot();
    this.store = DocumentStore.fromSnapshot(snapshot.data);
    this.raw = new RawNode(
      {
        id: options.id,
        voters: options.voters,
        ...DEFAULT_TUNING,
        // The commit index rides on the next append or heartbeat: half the messages per write.
        broadcastCommit: false,
        // The leader's own writes are synced in the background (see drain).
        asyncLeaderSync: true,
        applied: snapshot.index,
        random: options.random,
      },
      this.storage,
    );
  }

  /** Starts ticking and receiving. */
  start(): void {
    this.transport.onMessage((m) => this.guard(() => this.raw.step(m)));
    // A leader whose process stopped closes its connections: campaign soon instead of waiting out
    // the election timeout (a hint only; the lease keeps a live leader's followers from following).
    this.transport.onPeerLost((peer) => this.guard(() => this.raw.reportConnectionLost(peer)));
    this.ticker = setInterval(() => this.guard(() => this.raw.tick()), this.options.tickMs ?? 10);
    this.schedule();
  }

  get role(): SoftState['role'] {
    return this.soft.role;
  }

  get leader(): NodeId {
    return this.soft.leader;
  }

  get snapshotIndex(): LogIndex {
    return this.storage.snapshot().index;
  }

  get documentCount(): number {
    return this.store.list().length;
  }

  get uptimeMs(): number {
    return Date.now() - this.startedAt;
  }

  status() {
    return this.raw.status();
  }

  /**
   * Merges `update` into `docId`; resolves once the entry is committed and applied here.
   * Rejects with NotLeaderError on a follower, RejectedUpdateError for an invalid update,
   * RequestTimeoutError, UnavailableNodeError (leadership lost or the proposal dropped).
   */
  merge(docId: string, update: Uint8Array): Promise<MergeResult> {
    if (this.stopped) return Promise.reject(new NodeStoppedError());
    if (this.soft.role !== Role.Leader) return Promise.reject(new NotLeaderError(this.soft.leader));
    let fields;
    try {
      fields = this.store.checkMerge(docId, update);
    } catch (error) {
      return Promise.reject(new RejectedUpdateError((error as Error).message));
    }
    const id = docId as DocId; // checkMerge validated it
    const requestId = `${this.id}.${this.options.bootId}.${++this.sequence}`;
    const outcome = this.input(() => this.raw.propose(encodeCommand({ kind: 'merge', requestId, docId: id, update, fields })));
    if (!outcome.ok) return Promise.reject(new UnavailableNodeError(`proposal dropped: ${outcome.reason}`, this.soft.leader));
    this.schedule();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pendingMerges.delete(requestId);
        reject(new RequestTimeoutError(`merge into ${docId} not applied within ${this.timeoutMs} ms`));
      }, this.timeoutMs);
      this.pendingMerges.set(requestId, { docId: id, resolve, reject, timer });
    });
  }

  /** Reads `docId`: linearizable (ReadIndex, thesis §6.4) or stale (this node's applied state). */
  async read(docId: DocId, consistency: 'linearizable' | 'stale'): Promise<ReadResult> {
    if (consistency === 'linearizable') await this.readBarrier();
    const doc = this.store.get(docId);
    return { doc, versionVector: doc?.versionVector ?? this.store.versionVector(docId), index: this.store.appliedIndex };
  }

  /** Lists documents, after a ReadIndex barrier when linearizable. */
  async list(consistency: 'linearizable' | 'stale') {
    if (consistency === 'linearizable') await this.readBarrier();
    return { index: this.store.appliedIndex, docs: this.store.list() };
  }

  /** Resolves once this node has applied everything committed before the call (ReadIndex). */
  readBarrier(): Promise<LogIndex> {
    if (this.stopped) return Promise.reject(new NodeStoppedError());
    const context = `r${this.options.bootId}.${++this.sequence}`;
    const outcome = this.input(() => this.raw.readIndex(context));
    if (!outcome.ok) return Promise.reject(new UnavailableNodeError(`read index refused: ${outcome.reason}`, this.soft.leader));
    this.schedule();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pendingReads.delete(context);
        reject(new RequestTimeoutError(`read index not confirmed within ${this.timeoutMs} ms`));
      }, this.timeoutMs);
      this.pendingReads.set(context, { index: undefined, resolve, reject, timer });
    });
  }

  /**
   * Graceful stop: a leader first hands leadership to the most up-to-date follower (thesis §3.10)
   * and waits (bounded by `timeoutMs`) until it is no longer leader; then stops.
   */
  async shutdown(timeoutMs = 1000): Promise<void> {
    if (this.stopped) return;
    if (this.soft.role === Role.Leader) {
      const progress = this.raw.status().progress;
      let best: NodeId | undefined;
      let bestMatch = -1;
      for (const [peer, pr] of progress) {
        if (peer !== this.id && pr.match > bestMatch) {
          best = peer;
          bestMatch = pr.match;
        }
      }
      if (best !== undefined) {
        this.options.log(`raft node ${this.id}: transferring leadership to ${best} before stopping`);
        this.raw.transferLeadership(best);
        this.schedule();
        await new Promise<void>((resolve) => {
          const timer = setTimeout(done, timeoutMs);
          const waiter = () => {
            if (this.soft.role !== Role.Leader) done();
          };
          function done() {
            clearTimeout(timer);
            resolve();
          }
          this.leaderWaiters.add(waiter);
        });
        this.leaderWaiters.clear();
      }
    }
    await this.stop();
  }

  /** Stops at once: timers, transport, storage; pending requests fail with NodeStoppedError. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    if (this.ticker) clearInterval(this.ticker);
    this.failPending(() => new NodeStoppedError());
    await this.transport.close();
    this.saveCommitIndex();
    this.storage.close();
  }

  private get timeoutMs(): number {
    return this.options.requestTimeoutMs ?? 5000;
  }

  /** A local request to the core; a storage failure inside it stops the node. */
  private input(request: () => StepOutcome): StepOutcome {
    try {
      return request();
    } catch (error) {
      this.die(error instanceof Error ? error : new Error(String(error)));
      return { ok: false, reason: 'the node stopped on a storage failure' };
    }
  }

  /** Runs an input of the core; a storage failure inside it (the core reads storage) is fatal. */
  private guard(input: () => void): void {
    if (this.stopped) return;
    try {
      input();
    } catch (error) {
      this.die(error instanceof Error ? error : new Error(String(error)));
      return;
    }
    this.schedule();
  }

  private schedule(): void {
    if (this.scheduled || this.stopped) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      if (this.stopped) return;
      try {
        this.drain();
      } catch (error) {
        this.die(error instanceof Error ? error : new Error(String(error)));
      }
    });
  }

  /** The Ready loop (see the file comment). */
  private drain(): void {
    while (!this.stopped && this.raw.hasReady()) {
      const rd = this.raw.ready();
      const early = rd.leaderMaySendFirst ? rd.messages.filter(canSendBeforePersist) : [];
      const late = rd.leaderMaySendFirst ? rd.messages.filter((m) => !canSendBeforePersist(m)) : rd.messages;
      if (early.length > 0) this.transport.send(early);
      // A leader's entries whose Ready sends nothing after the write: written now, synced in the
      // background; the core counts them toward a commit only once reported synced.
      const background = rd.leaderMaySendFirst && rd.entries.length > 0 && late.length === 0 && !rd.snapshot;
      this.persist(rd, background);
      if (background) {
        const last = rd.entries[rd.entries.length - 1]!;
        this.syncInBackground(last.index, last.term);
      }
      if (late.length > 0) this.transport.send(late);
      this.applyReady(rd);
      this.raw.advance(rd);
      this.maybeSnapshot();
    }
  }

  /**
   * Syncs the leader's writes up to (index, term) in the background and reports them to the core.
   * One sync at a time: writes made while one runs wait for the next, which covers them all.
   */
  private syncInBackground(index: LogIndex, term: Term): void {
    this.syncWanted = { index, term };
    if (this.syncing) return;
    const target = this.syncWanted;
    this.syncWanted = undefined;
    this.syncing = true;
    this.storage.syncInBackground((error) => {
      this.syncing = false;
      if (this.stopped) return;
      if (error) {
        this.die(error);
        return;
      }
      this.guard(() => this.raw.reportLeaderSynced(target.index, target.term));
      const next = this.syncWanted;
      if (next) this.syncInBackground(next.index, next.term);
    });
  }

  private persist(rd: Ready, background = false): void {
    if (!rd.snapshot && rd.entries.length === 0 && !rd.hardState) return;
    if (!rd.mustSync && !rd.snapshot && rd.entries.length === 0) {
      // Only the commit index moved (mustSync is false): keep it for the next write.
      this.unsavedHardState = rd.hardState;
      return;
    }
    const hardState = rd.hardState ?? this.unsavedHardState;
    const store = hardState !== undefined && (rd.snapshot !== undefined || this.mustStore(hardState));
    this.storage.batch(() => {
      if (rd.snapshot) this.storage.applySnapshot(rd.snapshot);
      if (rd.entries.length > 0) this.storage.append(rd.entries);
      if (store) this.storage.setHardState(hardState);
    }, rd.mustSync && !background);
    this.unsavedHardState = store ? undefined : hardState;
  }

  /**
   * Whether a hard state must be written with this Ready: always when its term or vote changed
   * (they must be durable before any message that depends on them). A commit index alone rides
   * along only every `COMMIT_STORE_STRIDE` entries: Raft needs no durable commit index (a restarted
   * node relearns it from the leader), and leaving it out keeps the meta page out of most appends'
   * fsync (one WAL page of five: measured 5.1 -> 4.1 frames per 4 KB append).
   */
  private mustStore(hardState: HardState): boolean {
    const stored = this.storage.initialState().hardState;
    return hardState.term !== stored.term || hardState.vote !== stored.vote || hardState.commit - stored.commit >= COMMIT_STORE_STRIDE;
  }

  private applyReady(rd: Ready): void {
    if (rd.softState) this.changeSoftState(rd.softState);
    if (rd.snapshot) {
      this.store = DocumentStore.fromSnapshot(rd.snapshot.data);
      this.options.log(`raft node ${this.id}: installed snapshot at ${rd.snapshot.index}`);
    }
    for (const entry of rd.committedEntries) this.settle(this.store.apply(entry.index, entry.data));
    for (const rs of rd.readStates) {
      const read = this.pendingReads.get(rs.context);
      if (read) read.index = rs.index;
    }
    this.releaseReads();
  }

  private settle(outcome: ApplyOutcome): void {
    if (outcome.kind === 'noop') return;
    if (outcome.kind === 'skipped') this.options.log(`raft node ${this.id}: skipped entry ${outcome.index}: ${outcome.reason}`);
    if (outcome.requestId === undefined) return;
    const pending = this.pendingMerges.get(outcome.requestId);
    if (!pending) return;
    this.pendingMerges.delete(outcome.requestId);
    clearTimeout(pending.timer);
    if (outcome.kind === 'skipped') pending.reject(new RejectedUpdateError(outcome.reason));
    else pending.resolve({ index: outcome.index, versionVector: this.store.versionVector(pending.docId) });
  }

  private releaseReads(): void {
    const applied = this.store.appliedIndex;
    for (const [context, read] of this.pendingReads) {
      if (read.index === undefined || read.index > applied) continue;
      this.pendingReads.delete(context);
      clearTimeout(read.timer);
      read.resolve(applied);
    }
  }

  private changeSoftState(soft: SoftState): void {
    const wasLeader = this.soft.role === Role.Leader;
    this.soft = soft;
    if (soft.role !== Role.Leader) {
      // Our proposals may or may not commit under the next leader; the client retries (merges are idempotent).
      if (wasLeader) this.failMerges(() => new UnavailableNodeError('leadership lost before the merge was applied', soft.leader));
    }
    for (const waiter of [...this.leaderWaiters]) waiter();
  }

  private maybeSnapshot(): void {
    const every = this.options.snapshotEvery ?? 10_000;
    const applied = this.store.appliedIndex;
    const snapIndex = this.storage.snapshot().index;
    if (applied - snapIndex < every || applied > this.storage.lastIndex()) return;
    const keep = this.options.keepEntries ?? 1000;
    const hardState = this.unsavedHardState;
    this.storage.batch(() => {
      // The stored commit index must cover the snapshot (a restart starts with applied = its index).
      if (hardState) this.storage.setHardState(hardState);
      this.storage.createSnapshot(applied, this.store.encodeSnapshot());
      const compactTo = asIndex(applied - keep);
      if (compactTo >= this.storage.firstIndex()) this.storage.compact(compactTo);
    });
    this.unsavedHardState = undefined;
  }

  /** On a stop, writes a commit index not yet stored, so a restart re-applies without waiting. */
  private saveCommitIndex(): void {
    const hardState = this.unsavedHardState;
    this.unsavedHardState = undefined;
    if (!hardState) return;
    try {
      this.storage.batch(() => this.storage.setHardState(hardState), false);
    } catch {
      // Stopping anyway (perhaps on this very failure); the commit index is not needed for safety.
    }
  }

  private failMerges(error: () => Error): void {
    for (const pending of this.pendingMerges.values()) {
      clearTimeout(pending.timer);
      pending.reject(error());
    }
    this.pendingMerges.clear();
  }

  private failPending(error: () => Error): void {
    this.failMerges(error);
    for (const read of this.pendingReads.values()) {
      clearTimeout(read.timer);
      read.reject(error());
    }
    this.pendingReads.clear();
  }

  private die(error: Error): void {
    if (this.stopped) return;
    this.options.log(`raft node ${this.id}: FATAL ${error.name}: ${error.message}; stopping`);
    void this.stop().finally(() => this.options.onFatal(error));
  }
}
