/**
 * RawNode: the application-facing wrapper of the Raft state machine, and the `Ready` contract.
 *
 * THE READY CONTRACT. The caller loops:
 *
 *   if (node.hasReady()) {
 *     const rd = node.ready();
 *     1. persist rd.hardState, rd.entries and rd.snapshot to stable storage (and make it durable
 *        with a sync when rd.mustSync), BEFORE
 *     2. sending rd.messages (a vote or an append acknowledgement is a promise about durable
 *        state: §5.1, Figure 2 "updated on stable storage before responding to RPCs"), then
 *     3. applying rd.snapshot (if any) and rd.committedEntries to the state machine, in order,
 *        and serving rd.readStates once applied >= readState.index, then
 *     4. calling node.advance(rd).
 *   }
 *
 * One exception to "persist before send" (Raft thesis §10.2.1, as etcd does): when
 * `rd.leaderMaySendFirst`, the messages for which `canSendBeforePersist(m)` holds (a leader's
 * appends, heartbeats and snapshots) may be sent BEFORE step 1, so the followers write to their
 * disks while the leader writes to its own. They promise nothing about the leader's disk: the
 * term they carry was made durable when the leader voted for itself (the flag is false in a Ready
 * that changes the term or vote). Votes, vote replies and append acknowledgements still wait for
 * step 1. The leader counts its own new entries as replicated when it appends them, so a caller
 * that sends first must not step any input into the node until step 1 is durable (a synchronous
 * persist in the same turn does this); then no commit can count a leader entry that is not on
 * its disk.
 *
 * No new Ready is produced between ready() and advance(). The core does no I/O: ticks come from
 * the caller's clock, randomness from `config.random`.
 */
import { Raft } from './raft';
import type { StepOutcome } from './roles';
import type { Storage } from './storage';
import {
  NO_NODE,
  asTerm,
  isHardStateEqual,
  type Entry,
  type HardState,
  type LogIndex,
  type Message,
  type NodeId,
  type RaftConfig,
  type ReadState,
  Role,
  type Snapshot,
  type SoftState,
  type Term,
} from './types';

/** Everything the caller must persist, send and apply, in the order of the contract above. */
export interface Ready {
  /** Changed volatile state (leader, role), for display only. */
  readonly softState?: SoftState;
  /** Changed hard state to persist, or undefined if unchanged. */
  readonly hardState?: HardState;
  /** Entries to append to stable storage (truncating any conflicting suffix). */
  readonly entries: readonly Entry[];
  /** A snapshot from the leader to persist and then load into the state machine. */
  readonly snapshot?: Snapshot;
  /** Messages to send, only after the above is durable. */
  readonly messages: readonly Message[];
  /** Committed entries to apply, after persisting. */
  readonly committedEntries: readonly Entry[];
  /** Linearizable read points for readIndex requests made on this node. */
  readonly readStates: readonly ReadState[];
  /** Whether the writes must be synced (fsync) before sending: new entries, term or vote. */
  readonly mustSync: boolean;
  /**
   * True when this node is leader and the Ready changes neither its term nor its vote: then the
   * messages passing `canSendBeforePersist` may be sent before persisting (see the contract).
   */
  readonly leaderMaySendFirst: boolean;
}

/**
 * Whether `m` may leave before its Ready is persisted when `rd.leaderMaySendFirst` (thesis
 * §10.2.1): a leader's append, heartbeat or snapshot, which carry no promise about the sender's
 * log. Never a vote, a vote reply or an acknowledgement.
 */
export function canSendBeforePersist(m: Message): boolean {
  return m.type === 'app' || m.type === 'heartbeat' || m.type === 'snap';
}

export interface ProgressStatus {
  readonly match: LogIndex;
  readonly next: LogIndex;
  readonly state: string;
}

export interface Status {
  readonly id: NodeId;
  readonly term: Term;
  readonly vote: NodeId;
  readonly lead: NodeId;
  readonly role: Role;
  readonly commit: LogIndex;
  readonly applied: LogIndex;
  readonly firstIndex: LogIndex;
  readonly lastIndex: LogIndex;
  readonly leadTransferee: NodeId;
  readonly randomizedElectionTimeout: number;
  /** Only on the leader. */
  readonly progress: ReadonlyMap<NodeId, ProgressStatus>;
}

export class RawNode {
  readonly raft: Raft;
  private prevSoft: SoftState;
  private prevHard: HardState;

  constructor(config: RaftConfig, storage: Storage) {
    this.raft = new Raft(config, storage);
    this.prevSoft = this.softState();
    this.prevHard = this.hardState();
  }

  tick(): void {
    this.raft.tick();
  }

  /** Starts an election now (etcd's Campaign / MsgHup). */
  campaign(): void {
    this.raft.startElection(false);
  }

  /** Proposes data to be appended; followers forward to the leader. May be dropped. */
  propose(data: Uint8Array): StepOutcome {
    const id = this.raft.id;
    return this.raft.step({ type: 'prop', from: id, to: id, term: asTerm(0), entries: [{ index: 0 as LogIndex, term: asTerm(0), data }] });
  }

  /** Requests a linearizable read point; it arrives later as a ReadState with `context`. */
  readIndex(context: string): StepOutcome {
    const id = this.raft.id;
    return this.raft.step({ type: 'readIndex', from: id, to: id, term: asTerm(0), context });
  }

  /** Asks the leader to hand leadership to `to` (thesis §3.10). */
  transferLeadership(to: NodeId): StepOutcome {
    const id = this.raft.id;
    return this.raft.step({ type: 'transferLeader', from: id, to: id, term: asTerm(0), transferee: to });
  }

  /**
   * Reports that the network connection from `from` closed: a follower of `from` then gives up
   * its lease and campaigns soon (see Raft.leaderConnectionLost). Does nothing otherwise.
   */
  reportConnectionLost(from: NodeId): void {
    this.raft.leaderConnectionLost(from);
  }

  /**
   * With `config.asyncLeaderSync`: the leader's log is durable up to (index, term) (the shell's
   * background sync of a Ready's entries completed); see Raft.leaderSynced.
   */
  reportLeaderSynced(index: LogIndex, term: Term): void {
    this.raft.leaderSynced(index, term);
  }

  /** Delivers a message from the network. Local-only message kinds at term 0 are refused. */
  step(m: Message): StepOutcome {
    if (m.term === 0) return { ok: false, reason: `a network message must carry a term (${m.type})` };
    if (m.to !== this.raft.id) return { ok: false, reason: `message for ${m.to} delivered to ${this.raft.id}` };
    return this.raft.step(m);
  }

  hasReady(): boolean {
    const r = this.raft;
    const soft = this.softState();
    if (soft.leader !== this.prevSoft.leader || soft.role !== this.prevSoft.role) return true;
    if (!isHardStateEqual(this.hardState(), this.prevHard)) return true;
    return (
      r.log.unstableSnapshot !== undefined ||
      r.log.unstableEntries.length > 0 ||
      r.msgs.length > 0 ||
      r.readStates.length > 0 ||
      r.log.hasNextCommittedEntries()
    );
  }

  /** The pending work; the caller must follow the contract above and then call advance(rd). */
  ready(): Ready {
    const r = this.raft;
    const soft = this.softState();
    const hard = this.hardState();
    const softChanged = soft.leader !== this.prevSoft.leader || soft.role !== this.prevSoft.role;
    const hardChanged = !isHardStateEqual(hard, this.prevHard);
    const entries = [...r.log.unstableEntries];
    const snapshot = r.log.unstableSnapshot;
    const termOrVoteChanged = hard.term !== this.prevHard.term || hard.vote !== this.prevHard.vote;
    const syncVotes = r.config.bugs?.voteBeforePersist !== true;
    const rd: Ready = {
      ...(softChanged ? { softState: soft } : {}),
      ...(hardChanged ? { hardState: hard } : {}),
      entries,
      ...(snapshot ? { snapshot } : {}),
      messages: r.msgs,
      committedEntries: r.log.nextCommittedEntries(),
      readStates: r.readStates,
      mustSync: entries.length > 0 || snapshot !== undefined || (syncVotes && termOrVoteChanged),
      leaderMaySendFirst: soft.role === Role.Leader && !termOrVoteChanged && snapshot === undefined,
    };
    r.msgs = [];
    r.readStates = [];
    return rd;
  }

  /** Acknowledges that the Ready was persisted, sent and applied. */
  advance(rd: Ready): void {
    const log = this.raft.log;
    if (rd.softState) this.prevSoft = rd.softState;
    if (rd.hardState) this.prevHard = rd.hardState;
    if (rd.snapshot) {
      log.stableSnapshotTo(rd.snapshot.index);
      if (rd.snapshot.index > log.applied) log.applied = rd.snapshot.index;
    }
    const last = rd.entries[rd.entries.length - 1];
    if (last) log.stableTo(last.index, last.term);
    const applied = rd.committedEntries[rd.committedEntries.length - 1];
    if (applied) log.appliedTo(applied.index);
  }

  status(): Status {
    const r = this.raft;
    const progress = new Map<NodeId, ProgressStatus>();
    if (r.lead === r.id && r.lead !== NO_NODE) {
      for (const [id, pr] of r.progress) progress.set(id, { match: pr.match, next: pr.next, state: pr.state });
    }
    return {
      id: r.id,
      term: r.term,
      vote: r.vote,
      lead: r.lead,
      role: r.role,
      commit: r.log.committed,
      applied: r.log.applied,
      firstIndex: r.log.firstIndex(),
      lastIndex: r.log.lastIndex(),
      leadTransferee: r.leadTransferee,
      randomizedElectionTimeout: r.randomizedElectionTimeout,
      progress,
    };
  }

  private softState(): SoftState {
    return { leader: this.raft.lead, role: this.raft.role };
  }

  private hardState(): HardState {
    return { term: this.raft.term, vote: this.raft.vote, commit: this.raft.log.committed };
  }
}
