/**
 * One simulated Raft process: the node shell around a RawNode that follows the Ready contract
 * with a simulated disk, a toy state machine and a network. Crashes lose the page cache and
 * unsynced writes; restarts rebuild everything from the durable state.
 *
 * The Ready loop is the real node's (node/raft-node.ts drain/persist), step for step:
 *   0. when rd.leaderMaySendFirst, the messages passing canSendBeforePersist (a leader's appends,
 *      heartbeats, snapshots) leave FIRST; the simulation may crash the node right there, before
 *      the write and its sync (the disk then loses everything unsynced);
 *   1. persist snapshot + entries + hard state, synced when rd.mustSync; a commit-only change is
 *      not written on its own but kept for the next write (or the next snapshot);
 *   2. send the other messages (votes, vote replies, acknowledgements; everything when the
 *      Ready may not send first);
 *   3. apply; 4. advance.
 */
import { RawNode, canSendBeforePersist, type Ready } from '../core/rawnode';
import type { SeededRandom } from '../core/random';
import { asIndex, asTerm, type Entry, type HardState, type LogIndex, type Message, type NodeId, type PlantedBugs, type Snapshot } from '../core/types';
import type { MemoryStorage } from '../storage/memory';
import type { NodeView } from './checker';
import { SimDisk, applyWrite, type DiskWrite } from './disk';
import { DurableView, LiveView } from './views';

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** The toy replicated state machine: a rolling digest of every applied command. */
export interface MachineState {
  readonly index: LogIndex;
  readonly digest: number;
}

export function encodeMachine(m: MachineState): Uint8Array {
  return encoder.encode(`${m.index}:${m.digest}`);
}

export function decodeMachine(data: Uint8Array): MachineState {
  if (data.length === 0) return { index: asIndex(0), digest: 0 };
  const [index, digest] = decoder.decode(data).split(':').map(Number);
  return { index: asIndex(index!), digest: digest! };
}

/** FNV-1a over the previous digest and the entry, so a digest covers the whole history. */
export function nextDigest(previous: number, entry: Entry): number {
  let h = (previous ^ 0x811c9dc5) >>> 0;
  const text = `${entry.index}/${entry.term}/${decoder.decode(entry.data)}`;
  for (let k = 0; k < text.length; k++) {
    h ^= text.charCodeAt(k);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

export interface NodeHooks {
  /** Entries persisted by `id`, with the term of the entry before the first (undefined if compacted). */
  onPersist(id: NodeId, entries: readonly Entry[], prevTerm: number | undefined): void;
  onSync(id: NodeId, durableCommit: LogIndex): void;
  onSnapshotRestore(id: NodeId, snapshot: Snapshot, machine: MachineState): void;
  onApply(id: NodeId, entry: Entry, digest: number): void;
  onReadState(id: NodeId, context: string, index: LogIndex): void;
  /**
   * Called before the leader's early messages leave, before persisting (step 0): the checker
   * looks at what is durable then.
   */
  beforeEarlySend(id: NodeId, messages: readonly Message[], disk: SimDisk): void;
  /** Called after the early send, before the write and its sync: the simulation may crash the node there. */
  crashBeforeSync(id: NodeId): boolean;
  /** Called after persisting and before sending the rest: the checker looks at the durable state. */
  beforeSend(id: NodeId, messages: readonly Message[], disk: SimDisk): void;
  send(messages: readonly Message[]): void;
  /** Called after each Ready: the simulation may crash the node right there. */
  afterReady(id: NodeId): boolean;
}

export interface NodeTuning {
  readonly electionTick: number;
  readonly heartbeatTick: number;
  readonly maxEntriesPerMessage: number;
  readonly maxInflight: number;
  /** Payload bytes per append (payloads are a few bytes: 12 keeps about two per message). */
  readonly maxBytesPerMessage: number;
  /** Take a snapshot every this many applied entries (0: never). */
  readonly snapshotEvery: number;
  /** Entries kept before the snapshot index when compacting. */
  readonly keepEntries: number;
  /** RaftConfig.broadcastCommit (the real node runs with false). */
  readonly broadcastCommit: boolean;
  /**
   * RaftConfig.asyncLeaderSync, as the real node runs: a leader's Ready whose messages may all
   * leave first is written without a sync; the sync completes in the background 1 to 3 ticks later
   * (then RawNode.reportLeaderSynced), unless the node crashes first.
   */
  readonly asyncLeaderSync: boolean;
  readonly bugs?: PlantedBugs;
  /** Test only: a planted bug in this node shell (see ShellBug). */
  readonly shellBug?: ShellBug;
}

/**
 * Planted bugs in the node SHELL (the core is right; the caller breaks the Ready contract), used
 * only by bugs.test.ts to prove the checkers catch a shell that sends too early:
 *   sendAllBeforePersist: every message (votes, acknowledgements too) leaves before the write;
 *   leaderSkipsSync: a leader that sent first never syncs that Ready's write (as if it stepped
 *     acknowledgements before its own write was durable): it counts entries it may lose.
 */
export type ShellBug = 'sendAllBeforePersist' | 'leaderSkipsSync';

export class SimNode {
  readonly disk: SimDisk;
  raw: RawNode | undefined;
  storage: MemoryStorage | undefined;
  machine: MachineState = { index: asIndex(0), digest: 0 };
  pausedUntil = 0;
  incarnation = 0;
  private currentView: NodeView | undefined;
  /** A hard state newer than the written one that differs from it only in its commit index. */
  private unsavedHardState: HardState | undefined;
  /** Readys whose leader messages left before the write (for the summary). */
  earlySends = 0;
  /** Leader writes not yet synced, with the tick their background sync completes. */
  private backgroundSyncs: { index: LogIndex; term: number; due: number }[] = [];
  /** The current tick (set by the simulation before each tick). */
  private now = 0;
  /** Leader writes synced in the background (for the summary). */
  asyncSyncs = 0;

  constructor(
    readonly id: NodeId,
    readonly voters: readonly NodeId[],
    private readonly tuning: NodeTuning,
    private readonly random: SeededRandom,
  ) {
    this.disk = new SimDisk(voters);
    this.start();
  }

  get alive(): boolean {
    return this.raw !== undefined;
  }

  /** Boots (or reboots) from durable state. */
  start(): void {
    const storage = this.disk.load();
    const snapshot = storage.snapshot();
    this.machine = decodeMachine(snapshot.data);
    this.storage = storage;
    this.raw = new RawNode(
      {
        id: this.id,
        voters: this.voters,
        electionTick: this.tuning.electionTick,
        heartbeatTick: this.tuning.heartbeatTick,
        maxEntriesPerMessage: this.tuning.maxEntriesPerMessage,
        maxBytesPerMessage: this.tuning.maxBytesPerMessage,
        maxInflight: this.tuning.maxInflight,
        preVote: true,
        checkQuorum: true,
        broadcastCommit: this.tuning.broadcastCommit,
        asyncLeaderSync: this.tuning.asyncLeaderSync,
        applied: snapshot.index,
        random: this.random.fork(),
        ...(this.tuning.bugs ? { bugs: this.tuning.bugs } : {}),
      },
      storage,
    );
    this.unsavedHardState = undefined;
    this.backgroundSyncs = [];
    this.incarnation++;
    this.currentView = new LiveView(this.id, this.raw.raft, this.disk.durableStorage());
  }

  crash(): void {
    this.disk.crash();
    this.backgroundSyncs = [];
    this.raw = undefined;
    this.storage = undefined;
    this.unsavedHardState = undefined;
    this.currentView = new DurableView(this.id, this.disk.durableStorage());
  }

  /** What the checkers see: the live node, or the durable state of a crashed one. */
  view(): NodeView {
    return this.currentView!;
  }

  private write(w: DiskWrite): void {
    applyWrite(this.storage!, w);
    this.disk.write(w);
  }

  /**
   * Completes the background syncs due at tick `now` (the real node: an fsync on the thread pool
   * finishing): the disk is synced and the leader told, so its entries count toward a commit.
   */
  backgroundSync(now: number, hooks: NodeHooks): void {
    this.now = now;
    const raw = this.raw;
    if (!raw || this.backgroundSyncs.length === 0 || this.backgroundSyncs[0]!.due > now) return;
    const done = this.backgroundSyncs.filter((s) => s.due <= now);
    this.backgroundSyncs = this.backgroundSyncs.filter((s) => s.due > now);
    // The shell bug: report the write synced without syncing it.
    if (this.tuning.shellBug !== 'leaderSkipsSync') {
      this.disk.sync();
      hooks.onSync(this.id, this.disk.durableCommit());
    }
    // One sync makes every earlier write durable too.
    const last = done.reduce((a, b) => (b.index > a.index ? b : a));
    this.asyncSyncs += done.length;
    raw.reportLeaderSynced(last.index, asTerm(last.term));
  }

  /** Runs the Ready loop until the node is quiet, following the contract step by step. */
  handleReady(hooks: NodeHooks): void {
    const raw = this.raw;
    if (!raw) return;
    while (raw.hasReady()) {
      const rd = raw.ready();
      let late = rd.messages;
      const bug = this.tuning.shellBug;
      if ((rd.leaderMaySendFirst || bug === 'sendAllBeforePersist') && rd.messages.length > 0) {
        // 0. The leader's appends, heartbeats and snapshots leave before its own write.
        const sendFirst = bug === 'sendAllBeforePersist' ? () => true : canSendBeforePersist;
        const early = rd.messages.filter(sendFirst);
        late = rd.messages.filter((m) => !sendFirst(m));
        if (early.length > 0) {
          this.earlySends++;
          hooks.beforeEarlySend(this.id, early, this.disk);
          hooks.send(early);
          if (hooks.crashBeforeSync(this.id)) return;
        }
      }
      // 1. Persist, and sync when required, before anything else leaves the node. A leader whose
      //    messages all left first may leave the sync to the background (asyncLeaderSync).
      const background = this.tuning.asyncLeaderSync && rd.leaderMaySendFirst && rd.entries.length > 0 && late.length === 0 && !rd.snapshot;
      this.persist(rd, hooks, background);
      // 2. Send the rest.
      if (late.length > 0) {
        hooks.beforeSend(this.id, late, this.disk);
        hooks.send(late);
      }
      // 3. Apply.
      if (rd.snapshot) {
        this.machine = decodeMachine(rd.snapshot.data);
        hooks.onSnapshotRestore(this.id, rd.snapshot, this.machine);
      }
      for (const e of rd.committedEntries) {
        if (e.index <= this.machine.index) continue;
        const digest = nextDigest(this.machine.digest, e);
        this.machine = { index: e.index, digest };
        hooks.onApply(this.id, e, digest);
      }
      for (const rs of rd.readStates) hooks.onReadState(this.id, rs.context, rs.index);
      // 4. Advance.
      raw.advance(rd);
      this.maybeCompact();
      if (hooks.afterReady(this.id)) return;
    }
  }

  /** Step 1, as the real node's persist(): one write of snapshot + entries + hard state. */
  private persist(rd: Ready, hooks: NodeHooks, background = false): void {
    if (!rd.snapshot && rd.entries.length === 0 && !rd.hardState) return;
    if (!rd.mustSync && !rd.snapshot && rd.entries.length === 0) {
      // Only the commit index moved: kept for the next write (Raft needs no durable commit).
      this.unsavedHardState = rd.hardState;
      return;
    }
    const hardState = rd.hardState ?? this.unsavedHardState;
    if (rd.snapshot) this.write({ kind: 'installSnapshot', snapshot: rd.snapshot });
    if (rd.entries.length > 0) {
      const first = rd.entries[0]!.index;
      this.write({ kind: 'append', entries: rd.entries });
      let prevTerm: number | undefined;
      try {
        prevTerm = this.storage!.term(asIndex(first - 1));
      } catch {
        prevTerm = undefined;
      }
      hooks.onPersist(this.id, rd.entries, prevTerm);
    }
    if (hardState) this.write({ kind: 'hardState', hardState });
    this.unsavedHardState = undefined;
    if (background) {
      const last = rd.entries[rd.entries.length - 1]!;
      this.backgroundSyncs.push({ index: last.index, term: last.term, due: this.now + 1 + (last.index % 3) });
      return;
    }
    if (rd.mustSync && !(this.tuning.shellBug === 'leaderSkipsSync' && rd.leaderMaySendFirst)) {
      this.disk.sync();
      hooks.onSync(this.id, this.disk.durableCommit());
    }
  }

  /** Snapshots the state machine and compacts the log every `snapshotEvery` applied entries. */
  private maybeCompact(): void {
    const every = this.tuning.snapshotEvery;
    if (every === 0 || !this.storage) return;
    const snapIndex = this.storage.snapshot().index;
    const applied = this.machine.index;
    if (applied - snapIndex < every || applied > this.storage.lastIndex()) return;
    // The written commit index must cover the snapshot (a restart starts with applied = its index).
    if (this.unsavedHardState) this.write({ kind: 'hardState', hardState: this.unsavedHardState });
    this.unsavedHardState = undefined;
    this.write({ kind: 'createSnapshot', index: applied, data: encodeMachine(this.machine) });
    const compactTo = applied - this.tuning.keepEntries;
    if (compactTo >= this.storage.firstIndex()) this.write({ kind: 'compact', index: asIndex(compactTo) });
  }
}
