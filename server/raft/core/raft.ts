/**
 * Raft: the consensus state machine of one node, pure and deterministic (etcd-io/raft style).
 *
 * Inputs are `tick()`, `step(message)` and the local requests (campaign, propose, readIndex,
 * transferLeadership); outputs accumulate in `msgs`, `readStates` and the log, and are handed to
 * the caller by `RawNode.ready()`. Behaviour by role is a swapped step function and tick function
 * (`becomeFollower` sets `stepFn = stepFollower`), see roles.ts.
 *
 * Invariants: `term` never decreases; `vote` is cast at most once per term; a leader never
 * truncates its own log; `log.committed` never decreases.
 */
import { RaftConfigError } from './errors';
import { RaftLog } from './log';
import { Progress, ProgressState, quorumCommittedIndex, tallyVotes, type VoteResult } from './progress';
import { ReadOnlyQueue } from './read-only';
import { stepCandidate, stepFollower, stepLeader, type StepOutcome } from './roles';
import type { Storage } from './storage';
import {
  NO_NODE,
  Role,
  asIndex,
  asTerm,
  type Entry,
  type LogIndex,
  type Message,
  type NodeId,
  type RaftConfig,
  type ReadState,
  type Term,
  type VoteMessage,
} from './types';

/** A message as built inside the core: the sender is always this node. */
type Outgoing = Message extends infer M ? (M extends Message ? Omit<M, 'from'> : never) : never;

export class Raft {
  readonly id: NodeId;
  term: Term = asTerm(0);
  vote: NodeId = NO_NODE;
  lead: NodeId = NO_NODE;
  role: Role = Role.Follower;
  readonly log: RaftLog;
  readonly voters: readonly NodeId[];
  readonly progress = new Map<NodeId, Progress>();
  /** Votes received in the current (pre-)campaign. */
  readonly votes = new Map<NodeId, boolean>();
  /** Outbox; drained by ready(). */
  msgs: Message[] = [];
  readStates: ReadState[] = [];
  electionElapsed = 0;
  heartbeatElapsed = 0;
  /** In [electionTick, 2*electionTick); re-drawn on every role change. */
  randomizedElectionTimeout = 0;
  /** Target of an ongoing leadership transfer, or NO_NODE. */
  leadTransferee: NodeId = NO_NODE;
  readonly readOnly = new ReadOnlyQueue();
  /** ReadIndex requests received before this leader committed an entry of its term. */
  pendingReads: Message[] = [];
  stepFn: (r: Raft, m: Message) => StepOutcome = stepFollower;
  tickFn: (r: Raft) => void = tickElection;

  constructor(readonly config: RaftConfig, storage: Storage) {
    if (config.heartbeatTick >= config.electionTick) {
      throw new RaftConfigError('heartbeatTick must be less than electionTick');
    }
    this.id = config.id;
    this.log = new RaftLog(storage, config.maxBytesPerMessage);
    const initial = storage.initialState();
    this.voters = [...(initial.voters.length > 0 ? initial.voters : config.voters)].sort((a, b) => a - b);
    if (!this.voters.includes(this.id)) throw new RaftConfigError(`node ${this.id} is not among the voters`);
    const hs = initial.hardState;
    if (hs.commit > this.log.lastIndex()) {
      throw new RaftConfigError(`hard state commit ${hs.commit} is past the last index ${this.log.lastIndex()}`);
    }
    if (hs.commit > this.log.committed) this.log.committed = hs.commit;
    if (config.applied !== undefined && config.applied > this.log.applied) this.log.appliedTo(config.applied);
    this.becomeFollower(hs.term, NO_NODE);
    this.vote = hs.vote;
  }

  // ---- roles -------------------------------------------------------------------------------

  becomeFollower(term: Term, lead: NodeId): void {
    this.reset(term);
    this.stepFn = stepFollower;
    this.tickFn = tickElection;
    this.lead = lead;
    this.role = Role.Follower;
  }

  becomePreCandidate(): void {
    // PreVote does not change the term or the vote (thesis §9.6).
    this.stepFn = stepCandidate;
    this.tickFn = tickElection;
    this.votes.clear();
    this.lead = NO_NODE;
    this.role = Role.PreCandidate;
  }

  becomeCandidate(): void {
    this.reset(asTerm(this.term + 1));
    this.stepFn = stepCandidate;
    this.tickFn = tickElection;
    this.vote = this.id;
    this.role = Role.Candidate;
  }

  becomeLeader(): void {
    this.reset(this.term);
    this.stepFn = stepLeader;
    this.tickFn = tickHeartbeat;
    this.lead = this.id;
    this.role = Role.Leader;
    this.progress.get(this.id)!.becomeReplicate();
    // An empty entry of the new term lets the leader commit (and learn) everything before it
    // (§5.4.2, §8).
    this.appendEntries([new Uint8Array(0)]);
  }

  private reset(term: Term): void {
    if (this.term !== term) {
      this.term = term;
      this.vote = NO_NODE;
    }
    this.lead = NO_NODE;
    this.electionElapsed = 0;
    this.heartbeatElapsed = 0;
    this.randomizedElectionTimeout =
      this.config.electionTick + this.config.random.nextInt(this.config.electionTick);
    this.leadTransferee = NO_NODE;
    this.votes.clear();
    this.progress.clear();
    const last = this.log.lastIndex();
    for (const v of this.voters) {
      const pr = new Progress(asIndex(last + 1), this.config.maxInflight);
      if (v === this.id) pr.match = last;
      this.progress.set(v, pr);
    }
    this.readOnly.reset();
    this.pendingReads = [];
  }

  // ---- inputs ------------------------------------------------------------------------------

  tick(): void {
    this.tickFn(this);
  }

  /**
   * The connection from `from` closed (its process most likely stopped). On a follower whose
   * leader is `from`: forget the leader, which gives up the lease (so this node grants pre-votes
   * at once), and campaign after a short randomized delay (1 to electionTick/3 ticks) instead of a
   * whole election timeout. Liveness only: a wrong report costs one PreVote round, which the rest
   * of the group refuses while it still hears from the leader (lease), and a heartbeat from the
   * leader makes this node its follower again.
   */
  leaderConnectionLost(from: NodeId): void {
    if (this.role !== Role.Follower || this.lead === NO_NODE || from !== this.lead) return;
    this.lead = NO_NODE;
    const delay = 1 + this.config.random.nextInt(Math.max(1, Math.floor(this.config.electionTick / 3)));
    this.electionElapsed = Math.max(this.electionElapsed, this.randomizedElectionTimeout - delay);
  }

  /** Starts an election (etcd's MsgHup), or a pre-election with PreVote; `transfer` skips PreVote (§3.10). */
  startElection(transfer: boolean): void {
    if (this.role === Role.Leader) return;
    if (this.config.preVote && !transfer) this.campaign('preVote', false);
    else this.campaign('vote', transfer);
  }

  campaign(kind: 'preVote' | 'vote', transfer: boolean): void {
    let term: Term;
    if (kind === 'preVote') {
      this.becomePreCandidate();
      term = asTerm(this.term + 1);
    } else {
      this.becomeCandidate();
      term = this.term;
    }
    if (this.recordVote(this.id, true) === 'won') {
      if (kind === 'preVote') this.campaign('vote', false);
      else this.becomeLeader();
      return;
    }
    const index = this.log.lastIndex();
    const logTerm = this.log.lastTerm();
    for (const v of this.voters) {
      if (v === this.id) continue;
      this.send({ type: kind, to: v, term, index, logTerm, transfer });
    }
  }

  recordVote(from: NodeId, granted: boolean): VoteResult {
    if (!this.votes.has(from)) this.votes.set(from, granted);
    return tallyVotes(this.voters, this.votes);
  }

  /**
   * Handles a message from the network (term > 0) or a local request (term 0). Applies the
   * term rules of §5.1 common to all roles, then the role's step function.
   */
  step(m: Message): StepOutcome {
    if (m.term === 0) {
      // Local request.
    } else if (m.term > this.term) {
      if (m.type === 'vote' || m.type === 'preVote') {
        // Leader lease (CheckQuorum): ignore disruptive candidates while we hear from a leader.
        const inLease =
          this.config.checkQuorum && this.lead !== NO_NODE && this.electionElapsed < this.config.electionTick;
        if (!m.transfer && inLease) return { ok: true };
      }
      if (m.type === 'preVote') {
        // A PreVote request never changes our term.
      } else if (m.type === 'preVoteResp' && !m.reject) {
        // The term in a granted PreVote reply is the one we will campaign at.
      } else if (m.type === 'app' || m.type === 'heartbeat' || m.type === 'snap') {
        this.becomeFollower(m.term, m.from);
      } else {
        this.becomeFollower(m.term, NO_NODE);
      }
    } else if (m.term < this.term) {
      if ((this.config.checkQuorum || this.config.preVote) && (m.type === 'app' || m.type === 'heartbeat')) {
        // A stale leader: tell it our term so it steps down. Without this a node partitioned
        // with PreVote/CheckQuorum could never disrupt it, and the old leader would stay stuck.
        this.send({ type: 'appResp', to: m.from, term: this.term, index: asIndex(0), reject: false, hintIndex: asIndex(0), hintTerm: asTerm(0) });
      } else if (m.type === 'preVote') {
        this.send({ type: 'preVoteResp', to: m.from, term: this.term, reject: true });
      }
      return { ok: true };
    }

    if (m.type === 'vote' || m.type === 'preVote') {
      this.handleVoteRequest(m);
      return { ok: true };
    }
    return this.stepFn(this, m);
  }

  private handleVoteRequest(m: VoteMessage): void {
    const canVote =
      this.vote === m.from ||
      (this.vote === NO_NODE && this.lead === NO_NODE) ||
      (m.type === 'preVote' && m.term > this.term);
    const upToDate = this.config.bugs?.skipElectionRestriction === true || this.log.isUpToDate(m.index, m.logTerm);
    const respType = m.type === 'vote' ? 'voteResp' : 'preVoteResp';
    if (canVote && upToDate) {
      // Reply at the request's term: for PreVote our term is unchanged, and the candidate
      // would ignore a reply at a lower term.
      this.send({ type: respType, to: m.from, term: m.term, reject: false });
      if (m.type === 'vote') {
        this.electionElapsed = 0;
        this.vote = m.from;
      }
    } else {
      this.send({ type: respType, to: m.from, term: this.term, reject: true });
    }
  }

  // ---- leader helpers ----------------------------------------------------------------------

  /** Appends new entries of the current term to the leader's log. */
  appendEntries(payloads: readonly Uint8Array[]): LogIndex {
    let index = this.log.lastIndex();
    const entries: Entry[] = payloads.map((data) => {
      index = asIndex(index + 1);
      return { index, term: this.term, data };
    });
    const last = this.log.append(entries);
    if (!this.config.asyncLeaderSync) {
      this.progress.get(this.id)!.maybeUpdate(last);
      this.maybeCommit();
    }
    return last;
  }

  /**
   * With `asyncLeaderSync`: the shell synced this leader's log up to (index, term); the leader's
   * own entries up to there now count toward a commit. Ignored unless still leader of that term.
   */
  leaderSynced(index: LogIndex, term: Term): void {
    if (this.role !== Role.Leader || this.term !== term || index > this.log.lastIndex()) return;
    if (!this.progress.get(this.id)!.maybeUpdate(index)) return;
    if (this.maybeCommit() && this.config.broadcastCommit !== false) this.bcastAppend();
  }

  /**
   * Advances the commit index to the largest index replicated on a majority, but only if that
   * entry is of the current term (§5.4.2).
   */
  maybeCommit(): boolean {
    const matches = this.voters.map((v) => this.progress.get(v)!.match);
    const index = quorumCommittedIndex(matches);
    const onlyCurrentTerm = this.config.bugs?.commitPreviousTermByCounting === true ? undefined : this.term;
    const committed = this.log.maybeCommit(index, onlyCurrentTerm);
    if (committed) this.releasePendingReads();
    return committed;
  }

  committedEntryInCurrentTerm(): boolean {
    return this.log.term(this.log.committed) === this.term;
  }

  private releasePendingReads(): void {
    if (this.pendingReads.length === 0 || !this.committedEntryInCurrentTerm()) return;
    const reads = this.pendingReads;
    this.pendingReads = [];
    for (const m of reads) this.stepFn(this, m);
  }

  bcastAppend(): void {
    for (const v of this.voters) if (v !== this.id) this.sendAppend(v);
  }

  /** Sends an append (or a snapshot) to `to` unless its progress is paused. */
  sendAppend(to: NodeId): void {
    this.maybeSendAppend(to, true);
  }

  /**
   * Sends entries from pr.next, batched by maxEntriesPerMessage/maxBytesPerMessage. Falls back
   * to a snapshot when the needed entries are compacted (§7). Returns whether it sent anything.
   */
  maybeSendAppend(to: NodeId, sendIfEmpty: boolean): boolean {
    const pr = this.progress.get(to)!;
    if (pr.isPaused()) return false;
    const prevIndex = asIndex(pr.next - 1);
    const prevTerm = this.log.term(prevIndex);
    const entries = this.log.entriesFrom(pr.next, this.config.maxEntriesPerMessage, this.config.maxBytesPerMessage);
    if (entries !== undefined && entries.length === 0 && !sendIfEmpty) return false;
    if (prevTerm === undefined || entries === undefined) {
      if (!pr.recentActive) return false;
      const snapshot = this.log.snapshot();
      if (snapshot.index === 0) return false;
      pr.becomeSnapshot(snapshot.index);
      this.send({ type: 'snap', to, term: this.term, snapshot });
      return true;
    }
    this.send({ type: 'app', to, term: this.term, index: prevIndex, logTerm: prevTerm, entries, commit: this.log.committed });
    if (entries.length > 0) pr.sentEntries(entries[entries.length - 1]!.index);
    else if (pr.state === ProgressState.Probe) pr.probeSent = true;
    return true;
  }

  bcastHeartbeat(context: string): void {
    for (const v of this.voters) {
      if (v === this.id) continue;
      const pr = this.progress.get(v)!;
      // Only a commit index the follower is known to have is safe to send with a heartbeat.
      const commit = asIndex(Math.min(pr.match, this.log.committed));
      this.send({ type: 'heartbeat', to: v, term: this.term, commit, context });
    }
  }

  sendTimeoutNow(to: NodeId): void {
    this.send({ type: 'timeoutNow', to, term: this.term });
  }

  send(m: Outgoing): void {
    this.msgs.push({ ...m, from: this.id } as Message);
  }
}

/** Followers and candidates: campaign when the randomized election timeout elapses. */
export function tickElection(r: Raft): void {
  r.electionElapsed++;
  if (r.electionElapsed >= r.randomizedElectionTimeout) {
    r.electionElapsed = 0;
    r.startElection(false);
  }
}

/** Leaders: heartbeat every heartbeatTick; CheckQuorum and transfer timeout every electionTick. */
export function tickHeartbeat(r: Raft): void {
  r.heartbeatElapsed++;
  r.electionElapsed++;
  if (r.electionElapsed >= r.config.electionTick) {
    r.electionElapsed = 0;
    if (r.config.checkQuorum && !hasRecentQuorum(r)) {
      r.becomeFollower(r.term, NO_NODE);
      return;
    }
    // A transfer that did not finish within an election timeout is abandoned (§3.10).
    r.leadTransferee = NO_NODE;
  }
  if (r.heartbeatElapsed >= r.config.heartbeatTick) {
    r.heartbeatElapsed = 0;
    r.bcastHeartbeat(r.readOnly.lastPendingContext());
  }
}

/** CheckQuorum: did a majority (counting ourselves) contact us since the last check? Resets. */
function hasRecentQuorum(r: Raft): boolean {
  const votes = new Map<NodeId, boolean>();
  for (const [id, pr] of r.progress) {
    votes.set(id, id === r.id || pr.recentActive);
    if (id !== r.id) pr.recentActive = false;
  }
  return tallyVotes(r.voters, votes) === 'won';
}
