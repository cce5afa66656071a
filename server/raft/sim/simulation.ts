/**
 * A seeded, deterministic simulation of a 3- or 5-node Raft group with virtual time, a faulty
 * network, a simulated disk, crashes, restarts, pauses and clients that propose and read.
 * Safety is checked after every step (see checker.ts); a run is a pure function of its seed.
 */
import { SeededRandom } from '../core/random';
import { RaftInvariantError } from '../core/storage';
import { asNodeId, type LogIndex, type NodeId, type PlantedBugs } from '../core/types';
import { SafetyChecker, SafetyViolation, type NodeView } from './checker';
import { SimNetwork } from './network';
import { SimNode, type NodeHooks, type ShellBug } from './node';

export interface SimOptions {
  readonly seed: number;
  readonly nodes: 3 | 5;
  /** Virtual ticks with faults. */
  readonly ticks: number;
  readonly bugs?: PlantedBugs;
  /** Test only: a planted bug in the node shell. */
  readonly shellBug?: ShellBug;
  /** After the faults, heal everything and require progress (default true). */
  readonly liveness?: boolean;
  /** Check the Ready contract directly (default true); off, only end-to-end properties catch it. */
  readonly checkContract?: boolean;
  /**
   * RaftConfig.broadcastCommit for every node. Default: from the seed, false (as the real node
   * runs) for odd seeds, true (the core's default) for even ones.
   */
  readonly broadcastCommit?: boolean;
  /** RaftConfig.asyncLeaderSync (background leader syncs). Default: from the seed, true for odd seeds (as the real node runs). */
  readonly asyncLeaderSync?: boolean;
}

export interface SimResult {
  readonly seed: number;
  readonly violation?: SafetyViolation;
  readonly tick: number;
  readonly checks: number;
  readonly leaders: number;
  readonly acknowledged: number;
  readonly reads: number;
  readonly messages: number;
  /** Readys whose leader messages left before the leader's own write (the §10.2.1 fast path). */
  readonly earlySends: number;
  /** Leader writes whose sync completed in the background (asyncLeaderSync). */
  readonly asyncSyncs: number;
  /** Crashes between such an early send and the write's sync. */
  readonly crashesBeforeSync: number;
  /** Connection-lost hints delivered to a crashed node's peers. */
  readonly connectionLost: number;
}

interface PendingRead {
  readonly node: NodeId;
  readonly incarnation: number;
  readonly minIndex: number;
  index?: LogIndex;
}

const LIVENESS_PAYLOAD = 'liveness';
const encoder = new TextEncoder();
const decoder = new TextDecoder();

export class Simulation {
  readonly random: SeededRandom;
  readonly network: SimNetwork;
  readonly nodes: SimNode[];
  readonly checker = new SafetyChecker();
  now = 0;
  private nextRequest = 1;
  /** Proposal payload -> node and incarnation it was proposed at. */
  private readonly proposals = new Map<string, { node: NodeId; incarnation: number }>();
  private readonly reads = new Map<string, PendingRead>();
  acknowledged = 0;
  readsServed = 0;
  /** Where the liveness write was first applied. */
  private livenessIndex: LogIndex | undefined;
  messages = 0;
  crashesBeforeSync = 0;
  connectionLost = 0;
  /** Connection-lost hints on their way: `to` learns at `at` that its connection to `from` closed. */
  private lostConnections: { at: number; to: NodeId; from: NodeId; incarnation: number }[] = [];
  /** Fault rates for this run, drawn from the seed. */
  private rates: { crash: number; restart: number; partition: number; heal: number; pause: number; crashAfterReady: number; crashBeforeSync: number; connectionLost: number; propose: number; read: number; transfer: number };

  constructor(private readonly options: SimOptions) {
    this.random = new SeededRandom(options.seed);
    const r = this.random;
    this.network = new SimNetwork(r.fork(), {
      drop: r.pick([0, 0.01, 0.05, 0.15]),
      duplicate: r.pick([0, 0.02, 0.1]),
      maxDelay: r.pick([1, 2, 4, 8]),
    });
    this.rates = {
      crash: r.pick([0, 0.005, 0.02]),
      restart: r.pick([0.05, 0.2]),
      partition: r.pick([0, 0.01, 0.04]),
      heal: r.pick([0.02, 0.1]),
      pause: r.pick([0, 0.01]),
      crashAfterReady: r.pick([0, 0.002, 0.01]),
      propose: r.pick([0.2, 0.5, 1]),
      read: r.pick([0.05, 0.3]),
      transfer: r.pick([0, 0.01, 0.03]),
      // A crash right after a leader's early send, before its own write is synced.
      crashBeforeSync: r.pick([0, 0.002, 0.01]),
      // Whether a crashed node's peers see its TCP connections close (a process crash closes
      // them; a power loss or a cut cable may not).
      connectionLost: r.pick([0, 0.5, 1]),
    };
    const voters = Array.from({ length: options.nodes }, (_, k) => asNodeId(k + 1));
    const tuning = {
      electionTick: 10,
      heartbeatTick: 2,
      maxEntriesPerMessage: r.pick([1, 2, 8]),
      maxBytesPerMessage: r.pick([12, 1 << 20]),
      maxInflight: r.pick([1, 2, 16]),
      snapshotEvery: r.pick([0, 5, 20]),
      keepEntries: r.pick([0, 2]),
      broadcastCommit: options.broadcastCommit ?? options.seed % 2 === 0,
      // Odd seeds run as the real node does: commit on the next message, leader syncs in the background.
      asyncLeaderSync: options.asyncLeaderSync ?? options.seed % 2 === 1,
      ...(options.bugs ? { bugs: options.bugs } : {}),
      ...(options.shellBug ? { shellBug: options.shellBug } : {}),
    };
    this.nodes = voters.map((id) => new SimNode(id, voters, tuning, r.fork()));
  }

  run(): SimResult {
    try {
      for (this.now = 1; this.now <= this.options.ticks; this.now++) this.stepTick();
      if (this.options.liveness !== false) this.checkLiveness();
    } catch (e) {
      if (e instanceof SafetyViolation) return this.result(e);
      // The core refusing an impossible state (e.g. truncating a committed entry) is a violation too.
      if (e instanceof RaftInvariantError) return this.result(new SafetyViolation('core invariant', e.message));
      throw e;
    }
    return this.result(undefined);
  }

  /**
   * Liveness once the faults stop: with every node up, the network healed and no more loss, a
   * leader must commit a new write and every node must apply it (through a snapshot if needed)
   * within 200 ticks plus 4 per entry of backlog.
   */
  private checkLiveness(): void {
    this.rates = { ...this.rates, crash: 0, partition: 0, heal: 0, pause: 0, crashAfterReady: 0, crashBeforeSync: 0, propose: 0, read: 0, transfer: 0 };
    this.network.heal();
    this.network.faults = { drop: 0, duplicate: 0, maxDelay: 1 };
    for (const n of this.nodes) {
      n.pausedUntil = 0;
      if (!n.alive) {
        n.start();
        this.checker.onRestart(n.id, n.raw!.raft.log.committed);
        this.settle(n);
      }
    }
    // With one entry per message and one in flight, catching up costs a round trip per entry.
    const backlog = Math.max(...this.nodes.map((n) => n.raw!.raft.log.lastIndex())) - Math.min(...this.nodes.map((n) => n.machine.index));
    const budget = 200 + 4 * backlog;
    const deadline = this.now + budget;
    // Re-proposed whenever leadership changes (a proposal may be lost with its leader).
    let proposedIn = -1;
    for (; this.now <= deadline; this.now++) {
      this.stepTick();
      const leader = this.nodes.find((n) => n.raw?.raft.role === 'leader');
      if (leader && leader.raw!.raft.term !== proposedIn && this.livenessIndex === undefined) {
        if (leader.raw!.propose(encoder.encode(LIVENESS_PAYLOAD)).ok) proposedIn = leader.raw!.raft.term;
        this.settle(leader);
      }
      const index = this.livenessIndex;
      if (index !== undefined && this.nodes.every((n) => n.machine.index >= index)) return;
    }
    const state = this.nodes.map((n) => `${n.id}:${n.raw?.raft.role}/t${n.raw?.raft.term}/applied ${n.machine.index}`).join(' ');
    throw new SafetyViolation('liveness after faults heal', `no write committed and applied everywhere within ${budget} ticks (${state})`);
  }

  private result(violation: SafetyViolation | undefined): SimResult {
    return {
      seed: this.options.seed,
      ...(violation ? { violation } : {}),
      tick: this.now,
      checks: this.checker.checks,
      leaders: this.checker.leaderCount(),
      acknowledged: this.acknowledged,
      reads: this.readsServed,
      messages: this.messages,
      earlySends: this.nodes.reduce((sum, n) => sum + n.earlySends, 0),
      asyncSyncs: this.nodes.reduce((sum, n) => sum + n.asyncSyncs, 0),
      crashesBeforeSync: this.crashesBeforeSync,
      connectionLost: this.connectionLost,
    };
  }

  private node(id: NodeId): SimNode {
    return this.nodes[id - 1]!;
  }

  private isActive(n: SimNode): boolean {
    return n.alive && n.pausedUntil <= this.now;
  }

  /** One tick of virtual time: faults, clients, ticks, then message deliveries. */
  private stepTick(): void {
    this.injectFaults();
    this.runClients();
    for (const n of this.nodes) {
      if (!this.isActive(n)) continue;
      n.backgroundSync(this.now, this.hooks);
      n.raw!.tick();
      this.settle(n);
    }
    this.deliverLostConnections();
    const due = this.network.takeDue(this.now, (to) => this.isActive(this.node(to)));
    for (const m of due) {
      const n = this.node(m.to);
      if (!this.isActive(n)) continue;
      this.messages++;
      n.raw!.step(m);
      this.settle(n);
    }
  }

  /** Handles the node's Ready and checks every property: this is the end of a step. */
  private settle(n: SimNode): void {
    n.handleReady(this.hooks);
    this.checker.afterStep(this.views());
  }

  private views(): NodeView[] {
    return this.nodes.map((n) => n.view());
  }

  private injectFaults(): void {
    const r = this.random;
    const ids = this.nodes.map((n) => n.id);
    if (r.chance(this.rates.partition)) {
      if (r.chance(0.3)) {
        // Asymmetric: one direction of one link.
        const a = r.pick(ids);
        const b = r.pick(ids.filter((x) => x !== a));
        this.network.cutLink(a, b);
      } else {
        const side = ids.filter(() => r.chance(0.5));
        this.network.partition([side, ids.filter((x) => !side.includes(x))]);
      }
    } else if (r.chance(this.rates.heal)) {
      this.network.heal();
    }
    for (const n of this.nodes) {
      if (n.alive && r.chance(this.rates.crash)) {
        this.crash(n);
      } else if (!n.alive && r.chance(this.rates.restart)) {
        n.start();
        this.checker.onRestart(n.id, n.raw!.raft.log.committed);
        this.settle(n);
      } else if (n.alive && r.chance(this.rates.pause)) {
        n.pausedUntil = this.now + 1 + r.nextInt(20);
      }
    }
  }

  private crash(n: SimNode): void {
    n.crash();
    this.network.dropTo(n.id);
    // The peers may see the crashed process's connections close, each after a network delay.
    for (const peer of this.nodes) {
      if (peer === n || !peer.alive || !this.random.chance(this.rates.connectionLost)) continue;
      const at = this.now + 1 + this.random.nextInt(this.network.faults.maxDelay);
      this.lostConnections.push({ at, to: peer.id, from: n.id, incarnation: peer.incarnation });
    }
  }

  /**
   * Delivers due connection-lost hints (RawNode.reportConnectionLost, as the real transport's
   * onPeerLost): a follower of the crashed leader campaigns early; everyone else ignores it.
   */
  private deliverLostConnections(): void {
    if (this.lostConnections.length === 0) return;
    const due = this.lostConnections.filter((l) => l.at <= this.now);
    if (due.length === 0) return;
    this.lostConnections = this.lostConnections.filter((l) => l.at > this.now);
    for (const l of due) {
      const peer = this.node(l.to);
      // A peer that restarted since has no connection to lose; a paused one is told when it resumes.
      if (!peer.alive || peer.incarnation !== l.incarnation) continue;
      if (peer.pausedUntil > this.now) {
        this.lostConnections.push({ ...l, at: peer.pausedUntil });
        continue;
      }
      this.connectionLost++;
      peer.raw!.reportConnectionLost(l.from);
      this.settle(peer);
    }
  }

  private runClients(): void {
    const r = this.random;
    const live = () => this.nodes.filter((n) => this.isActive(n));
    if (r.chance(this.rates.propose) && live().length > 0) {
      const n = r.pick(live());
      const payload = `c${this.nextRequest++}`;
      this.proposals.set(payload, { node: n.id, incarnation: n.incarnation });
      n.raw!.propose(encoder.encode(payload));
      this.settle(n);
    }
    if (r.chance(this.rates.transfer) && live().length > 0) {
      // An operator moves leadership (thesis §3.10); asked on any node, forwarded to the leader.
      const n = r.pick(live());
      n.raw!.transferLeadership(r.pick(this.nodes).id);
      this.settle(n);
    }
    if (r.chance(this.rates.read) && live().length > 0) {
      const n = r.pick(live());
      const context = `r${this.nextRequest++}`;
      this.reads.set(context, { node: n.id, incarnation: n.incarnation, minIndex: this.checker.maxAcknowledgedIndex });
      n.raw!.readIndex(context);
      this.settle(n);
    }
  }

  private readonly hooks: NodeHooks = {
    onPersist: (id, entries, prevTerm) => this.checker.onPersist(id, entries, prevTerm),
    onSync: (id, commit) => this.checker.onSync(id, commit),
    onSnapshotRestore: (id, snapshot, machine) => {
      this.checker.onSnapshotRestore(id, snapshot, machine);
      this.serveReads(id);
    },
    onApply: (id, entry, digest) => {
      this.checker.onApply(id, entry, digest);
      const payload = decoder.decode(entry.data);
      if (payload === LIVENESS_PAYLOAD && this.livenessIndex === undefined) this.livenessIndex = entry.index;
      const proposal = this.proposals.get(payload);
      const node = this.node(id);
      if (proposal && proposal.node === id && proposal.incarnation === node.incarnation) {
        // The proposing node applied it: the client is told its write is committed.
        this.proposals.delete(payload);
        this.checker.onAcknowledge(entry.index, payload);
        this.acknowledged++;
      }
      this.serveReads(id);
    },
    onReadState: (id, context, index) => {
      const read = this.reads.get(context);
      if (!read || read.node !== id) return;
      read.index = index;
      this.serveReads(id);
    },
    beforeEarlySend: (id, messages, disk) => {
      if (this.options.checkContract === false) return;
      this.checker.checkEarlySend(id, this.node(id).raw!.raft.role, messages, disk.durableStorage().initialState().hardState);
    },
    crashBeforeSync: (id) => {
      // The leader's appends are out, its own write not yet synced: a crash loses it.
      if (!this.random.chance(this.rates.crashBeforeSync)) return false;
      this.crashesBeforeSync++;
      this.crash(this.node(id));
      return true;
    },
    beforeSend: (id, messages, disk) => {
      if (this.options.checkContract === false) return;
      const durable = disk.durableStorage();
      this.checker.checkDurableBeforeSend(id, messages, durable.initialState().hardState, durable.lastIndex());
    },
    afterReady: (id) => {
      // A crash at an arbitrary point: after the messages left, before the next sync.
      if (!this.random.chance(this.rates.crashAfterReady)) return false;
      this.crash(this.node(id));
      return true;
    },
    send: (messages) => {
      for (const m of messages) this.network.send(m, this.now);
    },
  };

  /** Serves reads on `id` whose read index is now applied. */
  private serveReads(id: NodeId): void {
    const node = this.node(id);
    for (const [context, read] of this.reads) {
      if (read.node !== id || read.index === undefined) continue;
      if (read.incarnation !== node.incarnation) {
        this.reads.delete(context);
        continue;
      }
      if (node.machine.index < read.index) continue;
      this.reads.delete(context);
      this.checker.onReadServed(id, context, read.index, read.minIndex);
      this.readsServed++;
    }
  }
}

export function runSimulation(options: SimOptions): SimResult {
  return new Simulation(options).run();
}
