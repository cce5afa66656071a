/**
 * The step functions of each role. `Raft.step` applies the term rules common to all roles and
 * then calls the current role's function (raft.go's stepLeader / stepCandidate / stepFollower).
 */
import type { Raft } from './raft';
import { ProgressState } from './progress';
import type { ReadRequest } from './read-only';
import {
  NO_NODE,
  Role,
  asIndex,
  type AppendMessage,
  type AppendResponse,
  type HeartbeatMessage,
  type HeartbeatResponse,
  type Message,
  type NodeId,
  type SnapshotMessage,
} from './types';

/** The result of a step: local requests (propose, read, transfer) may be dropped. */
export type StepOutcome = { readonly ok: true } | { readonly ok: false; readonly reason: string };

const OK: StepOutcome = { ok: true };
const dropped = (reason: string): StepOutcome => ({ ok: false, reason });

export function stepLeader(r: Raft, m: Message): StepOutcome {
  switch (m.type) {
    case 'prop':
      if (r.leadTransferee !== NO_NODE) return dropped(`leadership is being transferred to ${r.leadTransferee}`);
      if (m.entries.length === 0) return dropped('empty proposal');
      r.appendEntries(m.entries.map((e) => e.data));
      r.bcastAppend();
      return OK;
    case 'readIndex': {
      const from = m.from === NO_NODE ? r.id : m.from;
      if (r.voters.length === 1 || r.config.bugs?.readIndexWithoutHeartbeat === true) {
        respondToRead(r, { context: m.context, index: r.log.committed, from, acks: new Set() });
        return OK;
      }
      // Until the leader commits an entry of its term it does not know the latest commit
      // index (thesis §6.4 step 1): hold the request until it does.
      if (!r.committedEntryInCurrentTerm()) {
        r.pendingReads.push(m);
        return OK;
      }
      r.readOnly.add(m.context, r.log.committed, from, r.id);
      r.bcastHeartbeat(m.context);
      return OK;
    }
    case 'appResp':
      handleAppendResponse(r, m);
      return OK;
    case 'heartbeatResp':
      handleHeartbeatResponse(r, m);
      return OK;
    case 'transferLeader':
      return transferLeadership(r, m.transferee);
    default:
      return OK;
  }
}

function handleAppendResponse(r: Raft, m: AppendResponse): void {
  const pr = r.progress.get(m.from);
  if (!pr) return;
  pr.recentActive = true;
  if (m.reject) {
    // Fast backtracking (§5.3): jump over the follower's whole conflicting term at once.
    let next = m.hintIndex;
    if (m.hintTerm > 0) next = r.log.findConflictByTerm(m.hintIndex, m.hintTerm).index;
    if (pr.maybeDecreaseTo(m.index, next)) {
      if (pr.state === ProgressState.Replicate) pr.becomeProbe();
      r.sendAppend(m.from);
    }
    return;
  }
  const wasPaused = pr.isPaused();
  if (!(pr.maybeUpdate(m.index) || (pr.match === m.index && pr.state === ProgressState.Probe))) return;
  if (pr.state === ProgressState.Probe) {
    pr.becomeReplicate();
  } else if (pr.state === ProgressState.Snapshot && pr.match + 1 >= r.log.firstIndex()) {
    pr.becomeProbe();
    pr.becomeReplicate();
  } else if (pr.state === ProgressState.Replicate) {
    pr.freeUpTo(m.index);
  }
  if (r.maybeCommit() && r.config.broadcastCommit !== false) r.bcastAppend();
  else if (wasPaused) r.sendAppend(m.from);
  while (r.maybeSendAppend(m.from, false)) {
    // Pipelining: keep sending while the in-flight window has room.
  }
  if (m.from === r.leadTransferee && pr.match === r.log.lastIndex()) r.sendTimeoutNow(m.from);
}

function handleHeartbeatResponse(r: Raft, m: HeartbeatResponse): void {
  const pr = r.progress.get(m.from);
  if (!pr) return;
  pr.recentActive = true;
  pr.probeSent = false;
  // A snapshot may have been lost: fall back to probing, which resends it if still needed.
  if (pr.state === ProgressState.Snapshot) pr.becomeProbe();
  if (pr.state === ProgressState.Replicate && pr.inflight.length >= r.config.maxInflight) pr.inflight.shift();
  if (pr.match < r.log.lastIndex()) r.sendAppend(m.from);
  if (m.context === '') return;
  if (r.readOnly.recordAck(m.from, m.context) === 0) return;
  for (const request of r.readOnly.advance(m.context, r.voters.length)) respondToRead(r, request);
}

function respondToRead(r: Raft, request: ReadRequest): void {
  if (request.from === r.id) {
    r.readStates.push({ index: request.index, context: request.context });
  } else {
    r.send({ type: 'readIndexResp', to: request.from, term: r.term, index: request.index, context: request.context });
  }
}

/** Leadership transfer (thesis §3.10): catch the target up, then send it TimeoutNow. */
function transferLeadership(r: Raft, transferee: NodeId): StepOutcome {
  const pr = r.progress.get(transferee);
  if (!pr) return dropped(`${transferee} is not a voter`);
  if (transferee === r.id) return OK;
  if (r.leadTransferee === transferee) return OK;
  // Proposals are refused during the transfer; it must finish within an election timeout.
  r.electionElapsed = 0;
  r.leadTransferee = transferee;
  if (pr.match === r.log.lastIndex()) r.sendTimeoutNow(transferee);
  else r.sendAppend(transferee);
  return OK;
}

export function stepCandidate(r: Raft, m: Message): StepOutcome {
  switch (m.type) {
    case 'prop':
      return dropped('no leader');
    case 'readIndex':
      return dropped('no leader');
    case 'transferLeader':
      return dropped('no leader');
    case 'app':
      r.becomeFollower(m.term, m.from);
      handleAppend(r, m);
      return OK;
    case 'heartbeat':
      r.becomeFollower(m.term, m.from);
      handleHeartbeat(r, m);
      return OK;
    case 'snap':
      r.becomeFollower(m.term, m.from);
      handleSnapshot(r, m);
      return OK;
    case 'voteResp':
    case 'preVoteResp': {
      const mine = r.role === Role.Candidate ? 'voteResp' : 'preVoteResp';
      if (m.type !== mine) return OK;
      const result = r.recordVote(m.from, !m.reject);
      if (result === 'won') {
        if (r.role === Role.PreCandidate) {
          r.campaign('vote', false);
        } else {
          r.becomeLeader();
          r.bcastAppend();
        }
      } else if (result === 'lost') {
        r.becomeFollower(r.term, NO_NODE);
      }
      return OK;
    }
    default:
      return OK;
  }
}

export function stepFollower(r: Raft, m: Message): StepOutcome {
  switch (m.type) {
    case 'prop':
      if (r.lead === NO_NODE) return dropped('no leader');
      r.send({ type: 'prop', to: r.lead, term: r.term, entries: m.entries });
      return OK;
    case 'readIndex':
      if (r.lead === NO_NODE) return dropped('no leader');
      r.send({ type: 'readIndex', to: r.lead, term: r.term, context: m.context });
      return OK;
    case 'transferLeader':
      if (r.lead === NO_NODE) return dropped('no leader');
      r.send({ type: 'transferLeader', to: r.lead, term: r.term, transferee: m.transferee });
      return OK;
    case 'app':
      r.electionElapsed = 0;
      r.lead = m.from;
      handleAppend(r, m);
      return OK;
    case 'heartbeat':
      r.electionElapsed = 0;
      r.lead = m.from;
      handleHeartbeat(r, m);
      return OK;
    case 'snap':
      r.electionElapsed = 0;
      r.lead = m.from;
      handleSnapshot(r, m);
      return OK;
    case 'timeoutNow':
      r.startElection(true);
      return OK;
    case 'readIndexResp':
      r.readStates.push({ index: m.index, context: m.context });
      return OK;
    default:
      return OK;
  }
}

function handleAppend(r: Raft, m: AppendMessage): void {
  if (m.index < r.log.committed) {
    r.send({ type: 'appResp', to: m.from, term: r.term, index: r.log.committed, reject: false, hintIndex: asIndex(0), hintTerm: m.logTerm });
    return;
  }
  const lastNew = r.log.maybeAppend(m.index, m.logTerm, m.commit, m.entries);
  if (lastNew !== undefined) {
    r.send({ type: 'appResp', to: m.from, term: r.term, index: lastNew, reject: false, hintIndex: asIndex(0), hintTerm: m.logTerm });
    return;
  }
  // Reject with a hint: our largest index <= the probe whose term is <= the probe's term.
  const hint = r.log.findConflictByTerm(asIndex(Math.min(m.index, r.log.lastIndex())), m.logTerm);
  r.send({ type: 'appResp', to: m.from, term: r.term, index: m.index, reject: true, hintIndex: hint.index, hintTerm: hint.term });
}

function handleHeartbeat(r: Raft, m: HeartbeatMessage): void {
  r.log.commitTo(asIndex(Math.min(m.commit, r.log.lastIndex())));
  r.send({ type: 'heartbeatResp', to: m.from, term: r.term, context: m.context });
}

function handleSnapshot(r: Raft, m: SnapshotMessage): void {
  const s = m.snapshot;
  if (s.index <= r.log.committed) {
    r.send({ type: 'appResp', to: m.from, term: r.term, index: r.log.committed, reject: false, hintIndex: asIndex(0), hintTerm: s.term });
    return;
  }
  if (r.log.matchTerm(s.index, s.term)) {
    // We already hold the snapshot's last entry: fast-forward the commit index instead.
    // Only the prefix up to the snapshot is known to match the leader's log.
    r.log.commitTo(s.index);
    r.send({ type: 'appResp', to: m.from, term: r.term, index: r.log.committed, reject: false, hintIndex: asIndex(0), hintTerm: s.term });
    return;
  }
  r.log.restore(s);
  r.send({ type: 'appResp', to: m.from, term: r.term, index: r.log.lastIndex(), reject: false, hintIndex: asIndex(0), hintTerm: s.term });
}
