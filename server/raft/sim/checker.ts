/**
 * The safety checkers of the simulation. Each property of Figure 3 of the Raft paper, plus the
 * client-visible ones, is checked after every step; checks that can only be broken by a new
 * event (an append, an apply, a new leader) are checked incrementally when that event happens,
 * which is equivalent to re-checking everything after every step, and cheap.
 */
import type { Entry, HardState, LogIndex, Message, NodeId, Snapshot, Term } from '../core/types';
import type { MachineState } from './node';

/** A broken safety property; the message names it and the paper section it comes from. */
export class SafetyViolation extends Error {
  override readonly name = 'SafetyViolation';
  constructor(readonly property: string, detail: string) {
    super(`${property}: ${detail}`);
  }
}

/** What the checker needs to see of a live node after a step. */
export interface NodeView {
  readonly id: NodeId;
  /** False for a crashed node: the view is then of its durable state. */
  readonly alive: boolean;
  readonly role: string;
  readonly term: Term;
  readonly commit: LogIndex;
  readonly firstIndex: LogIndex;
  readonly lastIndex: LogIndex;
  readonly lastTerm: Term;
  termAt(i: LogIndex): Term | undefined;
  /** What is on the node's disk (synced); a crashed node's view is its own. */
  readonly durable: NodeView;
}

/** §5.4.1: is log a strictly more up-to-date than log b? */
function isMoreUpToDate(a: NodeView, b: NodeView): boolean {
  return a.lastTerm > b.lastTerm || (a.lastTerm === b.lastTerm && a.lastIndex > b.lastIndex);
}

/** Does the node's log (or its snapshot, for compacted indexes) hold entry (index, term)? */
function holds(n: NodeView, index: number, term: Term): boolean {
  // A snapshot only covers committed entries; the committed-entry checks cover its contents.
  if (index < n.firstIndex) return true;
  return n.termAt(index as LogIndex) === term;
}

interface Applied {
  readonly term: Term;
  readonly digest: number;
  readonly by: NodeId;
}

export class SafetyChecker {
  /** §5.2 election safety: the leader of each term. */
  private readonly leaders = new Map<number, NodeId>();
  /** (index, term) -> term of the previous entry and payload, for log matching (§5.3). */
  private readonly logEntries = new Map<string, { prevTerm: number | undefined; data: string }>();
  /** index -> term of the committed entry, and the lowest term of a node that saw it committed. */
  private readonly committed = new Map<number, { term: Term; commitTerm: Term }>();
  /** index -> what was applied there first (§5.4.3 state machine safety). */
  private readonly applied = new Map<number, Applied>();
  /** Last commit index seen per node incarnation; reset to the durable commit at restart. */
  private readonly lastCommit = new Map<NodeId, LogIndex>();
  private readonly durableCommit = new Map<NodeId, LogIndex>();
  /** index -> payload of a proposal acknowledged to a client. */
  private readonly acknowledged = new Map<number, string>();
  maxAcknowledgedIndex = 0;
  checks = 0;

  /** After every step: election safety, leader completeness, commit monotonicity and safety. */
  afterStep(nodes: readonly NodeView[]): void {
    this.checks++;
    for (const n of nodes) {
      if (!n.alive) continue;
      if (n.role === 'leader') this.checkLeader(n);
      this.checkCommit(n, nodes);
    }
  }

  private checkLeader(n: NodeView): void {
    const known = this.leaders.get(n.term);
    if (known === n.id) return;
    if (known !== undefined) {
      throw new SafetyViolation('§5.2 election safety', `nodes ${known} and ${n.id} are both leaders of term ${n.term}`);
    }
    this.leaders.set(n.term, n.id);
    // §5.4 leader completeness: everything committed in an earlier term is in the new leader's log.
    for (const [index, c] of this.committed) {
      if (c.commitTerm >= n.term) continue;
      if (index < n.firstIndex - 1) continue; // compacted into the leader's snapshot
      const t = n.termAt(index as LogIndex);
      if (t !== c.term) {
        throw new SafetyViolation(
          '§5.4 leader completeness',
          `leader ${n.id} of term ${n.term} has ${t === undefined ? 'no entry' : `term ${t}`} at index ${index}, committed with term ${c.term} in term ${c.commitTerm}`,
        );
      }
    }
  }

  private checkCommit(n: NodeView, nodes: readonly NodeView[]): void {
    const previous = this.lastCommit.get(n.id) ?? 0;
    if (n.commit < previous) {
      throw new SafetyViolation('commit monotonicity', `node ${n.id} commit went from ${previous} back to ${n.commit}`);
    }
    if (n.commit === previous) return;
    for (let i = Math.max(previous + 1, n.firstIndex - 1); i <= n.commit; i++) {
      const t = n.termAt(i as LogIndex);
      if (t === undefined) continue;
      const c = this.committed.get(i);
      if (c === undefined) {
        this.committed.set(i, { term: t, commitTerm: n.term });
        this.checkProtected(i, t, nodes);
        this.checkCommitDurable(i, t, nodes);
      } else if (c.term !== t) {
        throw new SafetyViolation('§5.4 commit safety', `node ${n.id} committed term ${t} at index ${i}, already committed with term ${c.term}`);
      }
    }
    this.lastCommit.set(n.id, n.commit);
  }

  /**
   * §5.4.2 (Figure 8): when an entry becomes committed, every log lacking it must be less
   * up-to-date than a majority of logs holding it, so that the election restriction keeps any
   * node without it from ever winning. Committing an earlier term's entry by counting replicas
   * breaks exactly this, before any overwrite happens.
   */
  private checkProtected(index: number, term: Term, nodes: readonly NodeView[]): void {
    const majority = Math.floor(nodes.length / 2) + 1;
    for (const x of nodes) {
      if (holds(x, index, term)) continue;
      const protectors = nodes.filter((v) => v !== x && holds(v, index, term) && isMoreUpToDate(v, x)).length;
      if (protectors < majority) {
        throw new SafetyViolation(
          '§5.4.2 commit safety',
          `entry ${term}/${index} was committed, but node ${x.id} lacks it and only ${protectors} nodes holding it are more up-to-date (it could still be elected)`,
        );
      }
    }
  }

  /**
   * Commit durability (§5.3, and what makes a leader's send-before-persist safe, thesis §10.2.1):
   * when an entry becomes committed it is on the DISK (synced) of a majority. A leader that
   * counted its own entry before writing it, or a follower that acknowledged before syncing,
   * breaks this before anything else can go wrong.
   */
  private checkCommitDurable(index: number, term: Term, nodes: readonly NodeView[]): void {
    const majority = Math.floor(nodes.length / 2) + 1;
    const onDisk = nodes.filter((x) => holds(x.durable, index, term));
    if (onDisk.length < majority) {
      throw new SafetyViolation(
        'commit durability',
        `entry ${term}/${index} was committed while only ${onDisk.length} node(s) (${onDisk.map((x) => x.id).join(',')}) hold it on disk`,
      );
    }
  }

  /**
   * The Ready contract (Figure 2: "updated on stable storage before responding to RPCs"): when a
   * message leaves a node after its Ready was persisted, the term, vote and entries it vouches
   * for are durable. Strict for every message: a vote request needs the candidate's own vote
   * durable, a granted vote the vote, an acknowledgement the acknowledged entries.
   */
  checkDurableBeforeSend(id: NodeId, messages: readonly Message[], durable: HardState, durableLastIndex: LogIndex): void {
    for (const m of messages) {
      if (m.type === 'preVote' || m.type === 'preVoteResp') continue;
      if (durable.term < m.term) {
        throw new SafetyViolation('Ready contract', `node ${id} sent ${m.type} at term ${m.term} while its durable term is ${durable.term}`);
      }
      if (m.type === 'vote' && durable.term === m.term && durable.vote !== id) {
        throw new SafetyViolation('Ready contract', `node ${id} asked for votes in term ${m.term} before its own vote was durable`);
      }
      if (m.type === 'voteResp' && !m.reject && durable.term === m.term && durable.vote !== m.to) {
        throw new SafetyViolation('Ready contract', `node ${id} granted its vote to ${m.to} in term ${m.term} before the vote was durable`);
      }
      if (m.type === 'appResp' && !m.reject && m.index > durableLastIndex) {
        throw new SafetyViolation('Ready contract', `node ${id} acknowledged index ${m.index} with only ${durableLastIndex} durable`);
      }
    }
  }

  /**
   * The relaxed rule for what a leader sends BEFORE persisting its Ready (thesis §10.2.1): only
   * appends, heartbeats and snapshots, from a leader, and their term must already be durable (a
   * follower adopts the term a message carries; the leader's own vote for itself in that term
   * was synced when it became candidate). They promise nothing about the leader's log: its new
   * entries count toward a commit only once written (checked end to end by checkCommitDurable).
   */
  checkEarlySend(id: NodeId, role: string, messages: readonly Message[], durable: HardState): void {
    for (const m of messages) {
      if (m.type === 'preVote' || m.type === 'preVoteResp') continue; // promise nothing durable
      if (m.type !== 'app' && m.type !== 'heartbeat' && m.type !== 'snap') {
        throw new SafetyViolation('Ready contract', `node ${id} sent ${m.type} to ${m.to} before persisting its Ready`);
      }
      if (role !== 'leader') {
        throw new SafetyViolation('Ready contract', `node ${id} (${role}) sent ${m.type} before persisting; only a leader may`);
      }
      if (durable.term < m.term || (durable.term === m.term && durable.vote !== id)) {
        throw new SafetyViolation(
          'Ready contract',
          `node ${id} sent ${m.type} at term ${m.term} before persisting, with durable term ${durable.term} and vote ${durable.vote}`,
        );
      }
    }
  }

  /** Log matching (§5.3): same (index, term) implies the same payload and the same predecessor. */
  onPersist(id: NodeId, entries: readonly Entry[], prevTerm: number | undefined): void {
    let before = prevTerm;
    for (const e of entries) {
      const key = `${e.index}/${e.term}`;
      const data = new TextDecoder().decode(e.data);
      const known = this.logEntries.get(key);
      if (known === undefined) {
        this.logEntries.set(key, { prevTerm: before, data });
      } else if (known.data !== data || (known.prevTerm !== undefined && before !== undefined && known.prevTerm !== before)) {
        throw new SafetyViolation('§5.3 log matching', `node ${id} holds a different entry ${key} (or predecessor) than another node`);
      }
      before = e.term;
    }
  }

  onSync(id: NodeId, durableCommit: LogIndex): void {
    const previous = this.durableCommit.get(id) ?? 0;
    if (durableCommit < previous) {
      throw new SafetyViolation('durable commit monotonicity', `node ${id} durable commit went from ${previous} to ${durableCommit}`);
    }
    this.durableCommit.set(id, durableCommit);
  }

  /** A restart: the commit index restarts from what was durable, never below it. */
  onRestart(id: NodeId, commit: LogIndex): void {
    const durable = this.durableCommit.get(id) ?? 0;
    if (commit < durable) {
      throw new SafetyViolation('commit monotonicity', `node ${id} restarted with commit ${commit} below its durable commit ${durable}`);
    }
    this.lastCommit.set(id, commit);
  }

  /** §5.4.3 state machine safety: no two nodes apply different entries at one index. */
  onApply(id: NodeId, entry: Entry, digest: number): void {
    const known = this.applied.get(entry.index);
    if (known === undefined) {
      this.applied.set(entry.index, { term: entry.term, digest, by: id });
    } else if (known.term !== entry.term || known.digest !== digest) {
      throw new SafetyViolation(
        '§5.4.3 state machine safety',
        `node ${id} applied term ${entry.term} at index ${entry.index}; node ${known.by} applied term ${known.term} there (or a different history)`,
      );
    }
    const ack = this.acknowledged.get(entry.index);
    if (ack !== undefined && ack !== new TextDecoder().decode(entry.data)) {
      throw new SafetyViolation('acknowledged write durability', `node ${id} applied another entry at ${entry.index} where "${ack}" was acknowledged`);
    }
  }

  onSnapshotRestore(id: NodeId, snapshot: Snapshot, machine: MachineState): void {
    const known = this.applied.get(snapshot.index);
    if (known !== undefined && known.digest !== machine.digest) {
      throw new SafetyViolation('§5.4.3 state machine safety', `node ${id} installed a snapshot at ${snapshot.index} that differs from what was applied there`);
    }
  }

  /** A client was told its write is committed. */
  onAcknowledge(index: LogIndex, data: string): void {
    const other = this.acknowledged.get(index);
    if (other !== undefined && other !== data) {
      throw new SafetyViolation('acknowledged write durability', `"${data}" and "${other}" were both acknowledged at index ${index}`);
    }
    this.acknowledged.set(index, data);
    this.maxAcknowledgedIndex = Math.max(this.maxAcknowledgedIndex, index);
  }

  /** §6.4 linearizable reads: a read started after a write was acknowledged must see it. */
  onReadServed(id: NodeId, context: string, readIndex: LogIndex, minIndex: number): void {
    if (readIndex < minIndex) {
      throw new SafetyViolation(
        '§6.4 linearizable read',
        `read ${context} on node ${id} got read index ${readIndex}, but index ${minIndex} was acknowledged before the read began`,
      );
    }
  }

  leaderCount(): number {
    return this.leaders.size;
  }
}
