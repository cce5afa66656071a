/**
 * The vocabulary of the Raft core: branded ids, log entries, hard state, snapshots, the wire
 * messages (a discriminated union on `type`) and the configuration.
 *
 * Everything here is plain data: it can be copied, compared and encoded by a codec elsewhere.
 */

declare const brand: unique symbol;
/** A member of the Raft group. Invariant: > 0 (0 is "nobody", see `NO_NODE`). */
export type NodeId = number & { readonly [brand]: 'NodeId' };
/** A Raft term (§5.1). Invariant: never decreases on a node, durable before it is acted on. */
export type Term = number & { readonly [brand]: 'Term' };
/** A position in the replicated log, 1-based; 0 means "before the first entry". */
export type LogIndex = number & { readonly [brand]: 'LogIndex' };

export const asNodeId = (n: number): NodeId => n as NodeId;
export const asTerm = (n: number): Term => n as Term;
export const asIndex = (n: number): LogIndex => n as LogIndex;
/** "No node": no vote cast, no known leader. */
export const NO_NODE = 0 as NodeId;

/** One slot of the replicated log. `data` is opaque to Raft; an empty payload is a no-op entry. */
export interface Entry {
  readonly index: LogIndex;
  readonly term: Term;
  readonly data: Uint8Array;
}

/** What must be durable before a node sends a message that depends on it (§5.1, Figure 2). */
export interface HardState {
  readonly term: Term;
  /** The candidate voted for in `term`, or NO_NODE. Invariant: at most one per term. */
  readonly vote: NodeId;
  /** Highest index known committed. Not needed for safety but avoids re-deriving it. */
  readonly commit: LogIndex;
}

export const EMPTY_HARD_STATE: HardState = { term: asTerm(0), vote: NO_NODE, commit: asIndex(0) };

export function isHardStateEqual(a: HardState, b: HardState): boolean {
  return a.term === b.term && a.vote === b.vote && a.commit === b.commit;
}

/** A compacted prefix of the log: the state machine at `index` (§7). */
export interface Snapshot {
  readonly index: LogIndex;
  readonly term: Term;
  /** The voters of the group when the snapshot was taken. */
  readonly voters: readonly NodeId[];
  readonly data: Uint8Array;
}

export const EMPTY_SNAPSHOT: Snapshot = { index: asIndex(0), term: asTerm(0), voters: [], data: new Uint8Array(0) };

/** A linearizable read point: reads issued with `context` may be served once `applied >= index`. */
export interface ReadState {
  readonly index: LogIndex;
  readonly context: string;
}

interface Envelope {
  readonly from: NodeId;
  readonly to: NodeId;
  /** The sender's term; for PreVote requests the term it would campaign at. */
  readonly term: Term;
}

/** AppendEntries (§5.3): `entries` follow (index, logTerm). */
export interface AppendMessage extends Envelope {
  readonly type: 'app';
  readonly index: LogIndex;
  readonly logTerm: Term;
  readonly entries: readonly Entry[];
  readonly commit: LogIndex;
}

/**
 * AppendEntries reply. On success `index` is the last index now matching the leader. On rejection
 * `index` echoes the probe and (`hintIndex`, `hintTerm`) is the follower's conflict hint: the
 * largest index <= the probe whose term is <= the probe's logTerm (fast backtracking, §5.3).
 */
export interface AppendResponse extends Envelope {
  readonly type: 'appResp';
  readonly index: LogIndex;
  readonly reject: boolean;
  readonly hintIndex: LogIndex;
  readonly hintTerm: Term;
}

/** RequestVote (§5.2) or PreVote (thesis §9.6). */
export interface VoteMessage extends Envelope {
  readonly type: 'vote' | 'preVote';
  /** Last log index and term of the candidate (§5.4.1). */
  readonly index: LogIndex;
  readonly logTerm: Term;
  /** Set when campaigning after TimeoutNow: bypasses the leader lease (thesis §3.10). */
  readonly transfer: boolean;
}

export interface VoteResponse extends Envelope {
  readonly type: 'voteResp' | 'preVoteResp';
  readonly reject: boolean;
}

/** Heartbeat: an empty append that carries a commit index safe for the follower, and a read context. */
export interface HeartbeatMessage extends Envelope {
  readonly type: 'heartbeat';
  readonly commit: LogIndex;
  readonly context: string;
}

export interface HeartbeatResponse extends Envelope {
  readonly type: 'heartbeatResp';
  readonly context: string;
}

/** InstallSnapshot (§7). */
export interface SnapshotMessage extends Envelope {
  readonly type: 'snap';
  readonly snapshot: Snapshot;
}

/** A proposal forwarded by a follower to its leader. */
export interface ProposeMessage extends Envelope {
  readonly type: 'prop';
  readonly entries: readonly Entry[];
}

/** A ReadIndex request forwarded by a follower to its leader (thesis §6.4). */
export interface ReadIndexMessage extends Envelope {
  readonly type: 'readIndex';
  readonly context: string;
}

export interface ReadIndexResponse extends Envelope {
  readonly type: 'readIndexResp';
  readonly index: LogIndex;
  readonly context: string;
}

/** Leadership transfer: the leader tells an up-to-date target to campaign now (thesis §3.10). */
export interface TimeoutNowMessage extends Envelope {
  readonly type: 'timeoutNow';
}

/** A transfer request forwarded by a follower to its leader; `transferee` is the target. */
export interface TransferLeaderMessage extends Envelope {
  readonly type: 'transferLeader';
  readonly transferee: NodeId;
}

export type Message =
  | AppendMessage
  | AppendResponse
  | VoteMessage
  | VoteResponse
  | HeartbeatMessage
  | HeartbeatResponse
  | SnapshotMessage
  | ProposeMessage
  | ReadIndexMessage
  | ReadIndexResponse
  | TimeoutNowMessage
  | TransferLeaderMessage;

export type MessageType = Message['type'];

export const Role = {
  Follower: 'follower',
  PreCandidate: 'preCandidate',
  Candidate: 'candidate',
  Leader: 'leader',
} as const;
export type Role = (typeof Role)[keyof typeof Role];

/** Volatile state the application may want to display; never persisted. */
export interface SoftState {
  readonly leader: NodeId;
  readonly role: Role;
}

/**
 * Planted bugs, used only by tests to prove that the scenario tests and the simulation's
 * checkers catch real safety violations. A production config never sets any of them.
 */
export interface PlantedBugs {
  /** Report a new vote without asking for a sync: the vote may be lost on a crash after the reply. */
  readonly voteBeforePersist?: true;
  /** Commit entries of earlier terms by counting replicas, breaking §5.4.2 (Figure 8). */
  readonly commitPreviousTermByCounting?: true;
  /** Grant votes without the "at least as up-to-date" check, breaking §5.4.1. */
  readonly skipElectionRestriction?: true;
  /** Answer ReadIndex from the local commit index without a heartbeat round, breaking §6.4. */
  readonly readIndexWithoutHeartbeat?: true;
}

/** A deterministic source of randomness; the core never calls Math.random. */
export interface Random {
  /** A uniformly distributed integer in [0, n). */
  nextInt(n: number): number;
}

/** Configuration of one Raft node. Durations are in ticks of the caller's clock. */
export interface RaftConfig {
  readonly id: NodeId;
  /** All voters, including `id`. Used when storage holds no snapshot with a voter list. */
  readonly voters: readonly NodeId[];
  /** Ticks without hearing from a leader before campaigning; randomized in [e, 2e). */
  readonly electionTick: number;
  /** Ticks between leader heartbeats. Invariant: heartbeatTick < electionTick. */
  readonly heartbeatTick: number;
  /** Max entries in one append message. */
  readonly maxEntriesPerMessage: number;
  /** Max payload bytes in one append message (at least one entry is always sent). */
  readonly maxBytesPerMessage: number;
  /** Max unacknowledged append messages per follower in replicate state (pipelining). */
  readonly maxInflight: number;
  readonly preVote: boolean;
  /** Leader steps down when it has not heard from a quorum within an election timeout. */
  readonly checkQuorum: boolean;
  /**
   * When the commit index advances, send it to every follower at once (empty appends; the
   * default). False: it rides on the next append or heartbeat (at most heartbeatTick later), which
   * halves the messages per write when writes come one at a time; followers apply a little later.
   */
  readonly broadcastCommit?: boolean;
  /**
   * The leader counts its own new entries toward a commit only once the shell reports them synced
   * (`RawNode.reportLeaderSynced`), instead of when it appends them. A shell may then write a
   * leader's entries without waiting for their fsync (it syncs them in the background and reports
   * when done): two followers' acknowledgements commit an entry before the leader's own fsync
   * ends. False (the default): the shell persists synchronously before stepping anything else.
   */
  readonly asyncLeaderSync?: boolean;
  /** The last applied index at restart (usually the snapshot index the state machine holds). */
  readonly applied?: LogIndex;
  readonly random: Random;
  /** Test only: see PlantedBugs. */
  readonly bugs?: PlantedBugs;
}

export const DEFAULT_TUNING = {
  electionTick: 30,
  heartbeatTick: 5,
  maxEntriesPerMessage: 64,
  maxBytesPerMessage: 1 << 20,
  maxInflight: 256,
  preVote: true,
  checkQuorum: true,
} as const;
