/**
 * Unit tests of the Raft core: the Ready contract and the rules that the scenarios and the
 * simulation exercise only indirectly.
 */
import { describe, expect, it } from 'vitest';
import { MemoryStorage } from '../storage/memory';
import { SeededRandom } from './random';
import { RawNode, canSendBeforePersist, type Ready } from './rawnode';
import {
  DEFAULT_TUNING,
  asIndex,
  asNodeId,
  asTerm,
  type Entry,
  type Message,
  type NodeId,
  type PlantedBugs,
  type RaftConfig,
} from './types';

const voters = [1, 2, 3].map(asNodeId);
const bytes = (s: string) => new TextEncoder().encode(s);
const entry = (index: number, term: number, data = ''): Entry => ({ index: asIndex(index), term: asTerm(term), data: bytes(data) });

function config(id: number, extra: Partial<RaftConfig> = {}): RaftConfig {
  return { ...DEFAULT_TUNING, id: asNodeId(id), voters, random: new SeededRandom(id), ...extra };
}

/** A tiny cluster that follows the Ready contract and delivers messages one at a time. */
class Cluster {
  readonly nodes = new Map<NodeId, { raw: RawNode; storage: MemoryStorage; applied: Entry[] }>();
  queue: Message[] = [];

  constructor(logs: Record<number, { entries: Entry[]; term: number; vote: number; commit?: number }>, extra: Partial<RaftConfig>) {
    for (const id of voters) {
      const storage = new MemoryStorage();
      storage.setVoters(voters);
      const l = logs[id]!;
      storage.append(l.entries);
      storage.setHardState({ term: asTerm(l.term), vote: asNodeId(l.vote), commit: asIndex(l.commit ?? 0) });
      this.nodes.set(id, { raw: new RawNode(config(id, extra), storage), storage, applied: [] });
    }
  }

  raw(id: number): RawNode {
    return this.nodes.get(asNodeId(id))!.raw;
  }

  processAll(): void {
    for (const [, n] of this.nodes) {
      while (n.raw.hasReady()) {
        const rd = n.raw.ready();
        if (rd.snapshot) n.storage.applySnapshot(rd.snapshot);
        n.storage.append(rd.entries);
        if (rd.hardState) n.storage.setHardState(rd.hardState);
        this.queue.push(...rd.messages);
        n.applied.push(...rd.committedEntries);
        n.raw.advance(rd);
      }
    }
  }

  /** Delivers the first queued message matching `pick`, then processes Readys. */
  deliver(pick: (m: Message) => boolean): Message {
    const k = this.queue.findIndex(pick);
    if (k < 0) throw new Error('no such message queued');
    const [m] = this.queue.splice(k, 1);
    this.raw(m!.to).step(m!);
    this.processAll();
    return m!;
  }
}

describe('Ready contract (persist, then send, then apply, then advance)', () => {
  it('Figure 2: a granted vote travels in the same Ready as the durable vote, and asks for a sync', () => {
    const n = new RawNode(config(2), new MemoryStorage());
    n.step({ type: 'vote', from: asNodeId(1), to: asNodeId(2), term: asTerm(1), index: asIndex(0), logTerm: asTerm(0), transfer: false });
    const rd = n.ready();
    expect(rd.hardState).toEqual({ term: 1, vote: 1, commit: 0 });
    expect(rd.mustSync).toBe(true);
    expect(rd.messages).toEqual([{ type: 'voteResp', from: 2, to: 1, term: 1, reject: false }]);
  });

  it('planted bug voteBeforePersist: the same vote does not ask for a sync', () => {
    const bugs: PlantedBugs = { voteBeforePersist: true };
    const n = new RawNode(config(2, { bugs }), new MemoryStorage());
    n.step({ type: 'vote', from: asNodeId(1), to: asNodeId(2), term: asTerm(1), index: asIndex(0), logTerm: asTerm(0), transfer: false });
    expect(n.ready().mustSync).toBe(false);
  });

  it('§5.3: an append acknowledgement only covers entries of this Ready (to persist first) or already stable', () => {
    const storage = new MemoryStorage();
    const n = new RawNode(config(2), storage);
    n.step({ type: 'app', from: asNodeId(1), to: asNodeId(2), term: asTerm(1), index: asIndex(0), logTerm: asTerm(0), entries: [entry(1, 1), entry(2, 1, 'x')], commit: asIndex(0) });
    const rd = n.ready();
    expect(rd.entries.map((e) => e.index)).toEqual([1, 2]);
    expect(rd.mustSync).toBe(true);
    const ack = rd.messages.find((m) => m.type === 'appResp');
    expect(ack).toMatchObject({ type: 'appResp', index: 2, reject: false });
    expect(storage.lastIndex()).toBe(0); // nothing persisted yet: the caller must persist before sending
    storage.append(rd.entries);
    n.advance(rd);
    expect(n.hasReady()).toBe(false);
  });

  it('asyncLeaderSync: the leader counts its own entry only once reported synced; two followers commit it without that', () => {
    const leaderOf = (extra: Partial<RaftConfig>) => {
      const c = new Cluster({ 1: { entries: [], term: 0, vote: 0 }, 2: { entries: [], term: 0, vote: 0 }, 3: { entries: [], term: 0, vote: 0 } }, { preVote: false, ...extra });
      c.raw(1).campaign();
      c.processAll();
      while (c.raw(1).status().role !== 'leader') c.deliver(() => true);
      return c;
    };
    // Without the report, the leader's empty entry of its term commits only when both followers have it.
    const c = leaderOf({ asyncLeaderSync: true });
    const term = c.raw(1).status().term;
    const emptyIndex = c.raw(1).status().lastIndex;
    c.deliver((m) => m.type === 'app' && m.to === 2);
    c.deliver((m) => m.type === 'appResp' && m.from === 2);
    expect(c.raw(1).status().commit).toBeLessThan(emptyIndex); // leader (not yet synced) + node 2: no majority
    c.raw(1).reportLeaderSynced(emptyIndex, term);
    expect(c.raw(1).status().commit).toBe(emptyIndex); // now leader + node 2
    // A proposal: two followers' acknowledgements commit it while the leader's own sync is pending.
    c.raw(1).propose(bytes('y'));
    c.processAll();
    while (c.queue.some((m) => m.type === 'app' || m.type === 'appResp')) c.deliver((m) => m.type === 'app' || m.type === 'appResp');
    const proposed = c.raw(1).status().lastIndex;
    expect(c.raw(1).status().commit).toBe(proposed);
    // A stale report (older term, or beyond the log) changes nothing.
    c.raw(1).reportLeaderSynced(asIndex(proposed + 5), term);
    c.raw(1).reportLeaderSynced(proposed, asTerm(term - 1));
    expect(c.raw(1).status().progress.get(asNodeId(1))!.match).toBe(emptyIndex);
    // Without asyncLeaderSync (the default), the leader counts its entry at append: leader + node 2 commit it.
    const d = leaderOf({});
    d.deliver((m) => m.type === 'app' && m.to === 2);
    d.deliver((m) => m.type === 'appResp' && m.from === 2);
    expect(d.raw(1).status().commit).toBe(d.raw(1).status().lastIndex);
  });

  it('thesis §10.2.1: only a leader whose term and vote are durable may send its appends before persisting', () => {
    const c = new Cluster({ 1: { entries: [], term: 0, vote: 0 }, 2: { entries: [], term: 0, vote: 0 }, 3: { entries: [], term: 0, vote: 0 } }, { preVote: false });
    // The campaign Ready changes the term and vote: nothing may precede the sync.
    c.raw(1).campaign();
    const campaign = c.raw(1).ready();
    expect(campaign.leaderMaySendFirst).toBe(false);
    expect(campaign.mustSync).toBe(true);
    c.nodes.get(asNodeId(1))!.storage.setHardState(campaign.hardState!);
    c.queue.push(...campaign.messages);
    c.raw(1).advance(campaign);
    c.processAll();
    while (c.raw(1).status().role !== 'leader') c.deliver(() => true);
    while (c.queue.length > 0) c.deliver(() => true);
    c.raw(1).propose(bytes('x'));
    const rd = c.raw(1).ready();
    expect(rd.leaderMaySendFirst).toBe(true);
    expect(rd.entries.length).toBe(1);
    expect(rd.messages.length).toBeGreaterThan(0);
    expect(rd.messages.every(canSendBeforePersist)).toBe(true);
    c.nodes.get(asNodeId(1))!.storage.append(rd.entries);
    c.raw(1).advance(rd);
    // A follower's acknowledgement and a granted vote never qualify, and a follower's Ready never allows it.
    c.raw(2).step(rd.messages.find((m) => m.to === 2)!);
    const ack = c.raw(2).ready();
    expect(ack.leaderMaySendFirst).toBe(false);
    expect(ack.messages.some(canSendBeforePersist)).toBe(false);
    const voter = new RawNode(config(2), new MemoryStorage());
    voter.step({ type: 'vote', from: asNodeId(1), to: asNodeId(2), term: asTerm(1), index: asIndex(0), logTerm: asTerm(0), transfer: false });
    const vote = voter.ready();
    expect(vote.leaderMaySendFirst).toBe(false);
    expect(vote.messages.some(canSendBeforePersist)).toBe(false);
  });

  it('committed entries never pass the commit index of the hard state, and are handed out once', () => {
    const c = new Cluster({ 1: { entries: [], term: 0, vote: 0 }, 2: { entries: [], term: 0, vote: 0 }, 3: { entries: [], term: 0, vote: 0 } }, {});
    c.raw(1).campaign();
    const seen = new Set<string>();
    for (let round = 0; round < 50; round++) {
      if (round % 5 === 0 && c.raw(1).status().role === 'leader') c.raw(1).propose(bytes(`p${round}`));
      for (const [id, n] of c.nodes) {
        while (n.raw.hasReady()) {
          const rd: Ready = n.raw.ready();
          const commit = rd.hardState?.commit ?? n.storage.initialState().hardState.commit;
          for (const e of rd.committedEntries) {
            expect(e.index).toBeLessThanOrEqual(commit);
            const key = `${id}:${e.index}`;
            expect(seen.has(key)).toBe(false);
            seen.add(key);
          }
          n.storage.append(rd.entries);
          if (rd.hardState) n.storage.setHardState(rd.hardState);
          c.queue.push(...rd.messages);
          n.raw.advance(rd);
        }
      }
      const batch = c.queue;
      c.queue = [];
      for (const m of batch) c.raw(m.to).step(m);
    }
    expect(c.raw(3).status().commit).toBeGreaterThanOrEqual(10);
  });
});

describe('§5.4.2 committing entries from previous terms (Figure 8)', () => {
  // Node 1 holds 2/2 from its old term 2; nodes 2 and 3 only 1/1. Node 1 wins term 3 and
  // replicates 2/2 one entry per message, so for a moment 2/2 is on a majority while the
  // term-3 entry is not.
  function setup(bugs?: PlantedBugs): Cluster {
    const logs = {
      1: { entries: [entry(1, 1), entry(2, 2, 'old')], term: 2, vote: 1, commit: 1 },
      2: { entries: [entry(1, 1)], term: 2, vote: 1, commit: 1 },
      3: { entries: [entry(1, 1)], term: 2, vote: 1, commit: 1 },
    };
    const c = new Cluster(logs, { preVote: false, checkQuorum: false, maxEntriesPerMessage: 1, ...(bugs ? { bugs } : {}) });
    c.raw(1).campaign();
    c.processAll();
    while (c.raw(1).status().role !== 'leader') c.deliver(() => true);
    // The term-3 probe is rejected; the leader backs up and sends 2/2 alone.
    c.deliver((m) => m.type === 'app' && m.to === 2);
    c.deliver((m) => m.type === 'appResp' && m.from === 2 && m.reject);
    c.deliver((m) => m.type === 'app' && m.to === 2 && m.entries[0]?.index === 2);
    c.deliver((m) => m.type === 'appResp' && m.from === 2 && !m.reject && m.index === 2);
    return c;
  }

  it('a leader does not commit an old-term entry by counting replicas', () => {
    const c = setup();
    expect(c.raw(1).status().progress.get(asNodeId(2))?.match).toBe(2);
    expect(c.raw(1).status().commit).toBe(1);
    // Once its own term-3 entry is on a majority, both commit together.
    c.deliver((m) => m.type === 'app' && m.to === 2 && m.entries[0]?.index === 3);
    c.deliver((m) => m.type === 'appResp' && m.from === 2 && m.index === 3);
    expect(c.raw(1).status().commit).toBe(3);
  });

  it('planted bug commitPreviousTermByCounting commits it early', () => {
    const c = setup({ commitPreviousTermByCounting: true });
    expect(c.raw(1).status().commit).toBe(2);
  });
});

describe('leader connection lost (failure detection hint; liveness only)', () => {
  /** Node 1 leads term 2 (elected with PreVote and CheckQuorum), everything delivered. */
  function elected(): Cluster {
    const c = new Cluster({ 1: { entries: [], term: 0, vote: 0 }, 2: { entries: [], term: 0, vote: 0 }, 3: { entries: [], term: 0, vote: 0 } }, {});
    c.raw(1).campaign();
    c.processAll();
    while (c.queue.length > 0) c.deliver(() => true);
    expect(c.raw(1).status().role).toBe('leader');
    return c;
  }

  it('a follower told its leader is gone forgets it and campaigns within electionTick/3 + 1 ticks', () => {
    const c = elected();
    const term = c.raw(2).status().term;
    c.raw(2).reportConnectionLost(asNodeId(1));
    expect(c.raw(2).status().lead).toBe(0);
    let ticks = 0;
    while (c.raw(2).status().role === 'follower') {
      c.raw(2).tick();
      ticks++;
    }
    expect(ticks).toBeLessThanOrEqual(Math.floor(DEFAULT_TUNING.electionTick / 3) + 1);
    expect(c.raw(2).status().role).toBe('preCandidate');
    // Node 3 also lost the leader, so it grants the pre-vote and then the vote: node 2 leads.
    c.raw(3).reportConnectionLost(asNodeId(1));
    c.processAll();
    c.queue = c.queue.filter((m) => m.to !== 1);
    while (c.queue.length > 0) {
      c.deliver(() => true);
      c.queue = c.queue.filter((m) => m.to !== 1);
    }
    expect(c.raw(2).status().role).toBe('leader');
    expect(c.raw(2).status().term).toBe(term + 1);
  });

  it('a report about a peer that is not the leader changes nothing', () => {
    const c = elected();
    const before = c.raw(2).status();
    c.raw(2).reportConnectionLost(asNodeId(3));
    c.raw(1).reportConnectionLost(asNodeId(2));
    expect(c.raw(2).status()).toEqual(before);
    expect(c.raw(1).status().role).toBe('leader');
  });

  it('a wrong report cannot disrupt a live leader: the other follower is in its lease and refuses', () => {
    const c = elected();
    c.raw(2).reportConnectionLost(asNodeId(1));
    while (c.raw(2).status().role === 'follower') c.raw(2).tick();
    c.processAll();
    while (c.queue.some((m) => m.type === 'preVote' || m.type === 'preVoteResp')) c.deliver((m) => m.type === 'preVote' || m.type === 'preVoteResp');
    expect(c.raw(2).status().role).toBe('preCandidate');
    expect(c.raw(1).status().role).toBe('leader');
    // The leader's next heartbeat brings node 2 back as its follower, at the same term.
    for (let k = 0; k < DEFAULT_TUNING.heartbeatTick; k++) c.raw(1).tick();
    c.processAll();
    c.deliver((m) => m.type === 'heartbeat' && m.to === 2);
    expect(c.raw(2).status()).toMatchObject({ role: 'follower', lead: 1, term: c.raw(1).status().term });
  });
});

describe('broadcastCommit: false (the node shell\'s setting)', () => {
  it('a new commit index rides on the next heartbeat instead of extra appends; followers still apply it', () => {
    const c = new Cluster({ 1: { entries: [], term: 0, vote: 0 }, 2: { entries: [], term: 0, vote: 0 }, 3: { entries: [], term: 0, vote: 0 } }, { broadcastCommit: false });
    c.raw(1).campaign();
    c.processAll();
    while (c.queue.length > 0) c.deliver(() => true);
    for (let k = 0; k < DEFAULT_TUNING.heartbeatTick; k++) c.raw(1).tick();
    c.processAll();
    while (c.queue.length > 0) c.deliver(() => true);
    c.raw(1).propose(bytes('x'));
    c.processAll();
    c.deliver((m) => m.type === 'app' && m.to === 2);
    c.deliver((m) => m.type === 'appResp' && m.from === 2);
    const last = c.raw(1).status().lastIndex;
    expect(c.raw(1).status().commit).toBe(last);
    // No append carrying only the new commit index was sent.
    expect(c.queue.filter((m) => m.type === 'app' && m.entries.length === 0)).toEqual([]);
    while (c.queue.length > 0) c.deliver(() => true);
    expect(c.raw(2).status().commit).toBeLessThan(last);
    for (let k = 0; k < DEFAULT_TUNING.heartbeatTick; k++) c.raw(1).tick();
    c.processAll();
    while (c.queue.length > 0) c.deliver(() => true);
    expect(c.raw(2).status().commit).toBe(last);
    expect(c.raw(3).status().commit).toBe(last);
    expect(c.nodes.get(asNodeId(2))!.applied.at(-1)?.index).toBe(last);
  });
});

describe('config and inputs', () => {
  it('rejects a network message without a term and a message for another node', () => {
    const n = new RawNode(config(1), new MemoryStorage());
    expect(n.step({ type: 'heartbeat', from: asNodeId(2), to: asNodeId(1), term: asTerm(0), commit: asIndex(0), context: '' }).ok).toBe(false);
    expect(n.step({ type: 'heartbeat', from: asNodeId(2), to: asNodeId(3), term: asTerm(1), commit: asIndex(0), context: '' }).ok).toBe(false);
  });

  it('randomized election timeouts come from the injected PRNG, in [election, 2*election)', () => {
    const timeouts = new Set<number>();
    for (let seed = 1; seed <= 20; seed++) {
      const n = new RawNode(config(1, { random: new SeededRandom(seed) }), new MemoryStorage());
      const t = n.status().randomizedElectionTimeout;
      expect(t).toBeGreaterThanOrEqual(DEFAULT_TUNING.electionTick);
      expect(t).toBeLessThan(2 * DEFAULT_TUNING.electionTick);
      timeouts.add(t);
    }
    expect(timeouts.size).toBeGreaterThan(3);
  });

  it('a proposal without a leader is dropped with a reason', () => {
    const n = new RawNode(config(1), new MemoryStorage());
    expect(n.propose(bytes('x'))).toEqual({ ok: false, reason: 'no leader' });
  });
});
