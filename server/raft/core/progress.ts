/**
 * The leader's view of each follower's log (etcd's tracker.Progress), the bounded window of
 * in-flight appends used for pipelining, and quorum arithmetic.
 *
 * Invariant: match < next. In Probe at most one append is in flight (probeSent); in Replicate
 * `next` advances optimistically and `inflight` bounds unacknowledged appends; in Snapshot
 * nothing is sent until the snapshot is acknowledged (or the follower is re-probed).
 */
import { asIndex, type LogIndex, type NodeId } from './types';

export const ProgressState = { Probe: 'probe', Replicate: 'replicate', Snapshot: 'snapshot' } as const;
export type ProgressState = (typeof ProgressState)[keyof typeof ProgressState];

export class Progress {
  match: LogIndex = asIndex(0);
  next: LogIndex;
  state: ProgressState = ProgressState.Probe;
  /** In Snapshot state: the index of the snapshot sent. */
  pendingSnapshot: LogIndex = asIndex(0);
  /** Heard from since the last CheckQuorum round. */
  recentActive = false;
  /** In Probe state: an append is outstanding; wait for its reply or a heartbeat reply. */
  probeSent = false;
  /** In Replicate state: last index of each unacknowledged append, oldest first. */
  inflight: LogIndex[] = [];

  constructor(next: LogIndex, private readonly maxInflight: number) {
    this.next = next;
  }

  becomeProbe(): void {
    if (this.state === ProgressState.Snapshot) {
      this.next = asIndex(Math.max(this.match + 1, this.pendingSnapshot + 1));
    } else {
      this.next = asIndex(this.match + 1);
    }
    this.resetState(ProgressState.Probe);
  }

  becomeReplicate(): void {
    this.next = asIndex(this.match + 1);
    this.resetState(ProgressState.Replicate);
  }

  becomeSnapshot(snapshotIndex: LogIndex): void {
    this.resetState(ProgressState.Snapshot);
    this.pendingSnapshot = snapshotIndex;
  }

  private resetState(state: ProgressState): void {
    this.state = state;
    this.probeSent = false;
    this.pendingSnapshot = asIndex(0);
    this.inflight = [];
  }

  /** An acknowledgement up to n. Returns true if match advanced. */
  maybeUpdate(n: LogIndex): boolean {
    let updated = false;
    if (this.match < n) {
      this.match = n;
      updated = true;
      this.probeSent = false;
    }
    this.next = asIndex(Math.max(this.next, n + 1));
    return updated;
  }

  /** After sending entries up to n in Replicate state. */
  sentEntries(last: LogIndex): void {
    if (this.state === ProgressState.Replicate) {
      this.next = asIndex(last + 1);
      this.inflight.push(last);
    } else if (this.state === ProgressState.Probe) {
      this.probeSent = true;
    }
  }

  /** Frees in-flight slots for appends acknowledged up to index. */
  freeUpTo(index: LogIndex): void {
    let k = 0;
    while (k < this.inflight.length && this.inflight[k]! <= index) k++;
    if (k > 0) this.inflight = this.inflight.slice(k);
  }

  /**
   * A rejection of the append probing at `rejected`; `hint` is the next index to try, from the
   * follower's conflict hint. Returns false if the rejection is stale.
   */
  maybeDecreaseTo(rejected: LogIndex, hint: LogIndex): boolean {
    if (this.state === ProgressState.Replicate) {
      if (rejected <= this.match) return false;
      this.next = asIndex(this.match + 1);
      return true;
    }
    if (this.next - 1 !== rejected) return false;
    this.next = asIndex(Math.max(Math.min(rejected, hint + 1), this.match + 1, 1));
    this.probeSent = false;
    return true;
  }

  isPaused(): boolean {
    switch (this.state) {
      case ProgressState.Probe:
        return this.probeSent;
      case ProgressState.Replicate:
        return this.inflight.length >= this.maxInflight;
      case ProgressState.Snapshot:
        return true;
    }
  }
}

/** The size of a majority of n voters. */
export function quorumSize(n: number): number {
  return Math.floor(n / 2) + 1;
}

/** The largest index replicated on a majority, given each voter's match index. */
export function quorumCommittedIndex(matches: readonly LogIndex[]): LogIndex {
  const sorted = [...matches].sort((a, b) => b - a);
  return sorted[quorumSize(sorted.length) - 1] ?? asIndex(0);
}

export type VoteResult = 'won' | 'lost' | 'pending';

/** Tallies votes: won with a majority of grants, lost with a majority of rejections. */
export function tallyVotes(voters: readonly NodeId[], votes: ReadonlyMap<NodeId, boolean>): VoteResult {
  let granted = 0;
  let rejected = 0;
  for (const v of voters) {
    const vote = votes.get(v);
    if (vote === true) granted++;
    else if (vote === false) rejected++;
  }
  const q = quorumSize(voters.length);
  if (granted >= q) return 'won';
  if (rejected >= q) return 'lost';
  return 'pending';
}
