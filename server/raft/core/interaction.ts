/**
 * The interpreter of scripted Raft scenarios (testdata/*.txt), in the style of etcd-io/raft's
 * datadriven interaction tests. Each command drives nodes held in memory and returns the trace
 * it produced; the test compares traces with the expected blocks exactly.
 *
 * Commands:
 *   add-nodes N [pre-vote=B] [check-quorum=B] [max-entries=K] [max-inflight=K]
 *   campaign ID | tick-election ID | tick-heartbeat ID | tick ID N
 *   propose ID DATA | read-index ID CONTEXT | transfer-leadership FROM TO
 *   process-ready ID... | deliver-msgs [ID...] | stabilize
 *   partition A B | C ... | heal | compact ID INDEX | status ID | raft-log ID
 * After other commands than process-ready, deliver-msgs and stabilize (whose Ready traces show
 * them), changes of role, term or leader are reported as `> n is now ...` lines.
 */
import { describeEntries, describeEntry, describeMessage, describeReady } from './describe';
import { SeededRandom } from './random';
import { RawNode } from './rawnode';
import type { StepOutcome } from './roles';
import { asIndex, asNodeId, type Entry, type Message, type NodeId, type PlantedBugs } from './types';
import { MemoryStorage } from '../storage/memory';

export class ScenarioError extends Error {
  override readonly name = 'ScenarioError';
}

interface ScenarioNode {
  readonly raw: RawNode;
  readonly storage: MemoryStorage;
  readonly applied: Entry[];
}

const encoder = new TextEncoder();

export class Interaction {
  private readonly nodes = new Map<NodeId, ScenarioNode>();
  /** Messages sent and not yet delivered, in send order. */
  private inFlight: Message[] = [];
  private groups: NodeId[][] = [];
  private lastSeen = new Map<NodeId, string>();

  constructor(private readonly bugs?: PlantedBugs) {}

  /** Runs one command; returns its trace (without a trailing newline). */
  run(line: string): string {
    const [command, ...args] = line.trim().split(/\s+/);
    const out: string[] = [];
    switch (command) {
      case 'add-nodes':
        this.addNodes(args);
        break;
      case 'campaign':
        this.node(args[0]).raw.campaign();
        break;
      case 'tick-election': {
        const n = this.node(args[0]);
        const s = n.raw.status();
        const timeout = s.role === 'leader' ? n.raw.raft.config.electionTick : s.randomizedElectionTimeout;
        this.tick(n, timeout - n.raw.raft.electionElapsed);
        break;
      }
      case 'tick-heartbeat': {
        const n = this.node(args[0]);
        this.tick(n, n.raw.raft.config.heartbeatTick);
        break;
      }
      case 'tick':
        this.tick(this.node(args[0]), Number(args[1]));
        break;
      case 'propose':
        out.push(describeOutcome(this.node(args[0]).raw.propose(encoder.encode(args.slice(1).join(' ')))));
        break;
      case 'read-index':
        out.push(describeOutcome(this.node(args[0]).raw.readIndex(args[1] ?? '')));
        break;
      case 'transfer-leadership':
        out.push(describeOutcome(this.node(args[0]).raw.transferLeadership(this.id(args[1]))));
        break;
      case 'process-ready':
        for (const a of args) out.push(...this.processReady(this.id(a)));
        break;
      case 'deliver-msgs':
        out.push(...this.deliver(args.length > 0 ? args.map((a) => this.id(a)) : [...this.nodes.keys()]));
        break;
      case 'stabilize':
        out.push(...this.stabilize());
        break;
      case 'partition':
        this.groups = args.join(' ').split('|').map((g) => g.trim().split(/\s+/).map((a) => this.id(a)));
        break;
      case 'heal':
        this.groups = [];
        break;
      case 'compact': {
        const n = this.node(args[0]);
        const index = asIndex(Number(args[1]));
        n.storage.createSnapshot(index, encoder.encode(`applied up to ${index}`));
        n.storage.compact(index);
        break;
      }
      case 'status':
        out.push(...this.status(this.id(args[0])));
        break;
      case 'raft-log':
        out.push(describeEntries(this.node(args[0]).raw.raft.log.allEntries()));
        break;
      default:
        throw new ScenarioError(`unknown command: ${line}`);
    }
    // Traces of Ready handling already show role changes (soft:); other commands report them.
    const changes = this.roleChanges();
    if (!['process-ready', 'deliver-msgs', 'stabilize'].includes(command ?? '')) out.push(...changes);
    return out.length > 0 ? out.join('\n') : 'ok';
  }

  private id(arg: string | undefined): NodeId {
    const n = Number(arg);
    if (!Number.isInteger(n) || !this.nodes.has(asNodeId(n))) throw new ScenarioError(`no node ${arg}`);
    return asNodeId(n);
  }

  private node(arg: string | undefined): ScenarioNode {
    return this.nodes.get(this.id(arg))!;
  }

  private addNodes(args: readonly string[]): void {
    const count = Number(args[0]);
    const options = new Map(args.slice(1).map((a) => a.split('=') as [string, string]));
    const flag = (name: string, fallback: boolean) => (options.has(name) ? options.get(name) === 'true' : fallback);
    const num = (name: string, fallback: number) => (options.has(name) ? Number(options.get(name)) : fallback);
    const voters = Array.from({ length: count }, (_, k) => asNodeId(this.nodes.size + k + 1));
    for (const id of voters) {
      const storage = new MemoryStorage();
      storage.setVoters(voters);
      const raw = new RawNode(
        {
          id,
          voters,
          electionTick: 10,
          heartbeatTick: 1,
          maxEntriesPerMessage: num('max-entries', 64),
          maxBytesPerMessage: 1 << 20,
          maxInflight: num('max-inflight', 256),
          preVote: flag('pre-vote', true),
          checkQuorum: flag('check-quorum', true),
          random: new SeededRandom(id),
          ...(this.bugs ? { bugs: this.bugs } : {}),
        },
        storage,
      );
      this.nodes.set(id, { raw, storage, applied: [] });
      this.lastSeen.set(id, this.describeRole(id));
    }
  }

  private tick(n: ScenarioNode, times: number): void {
    for (let k = 0; k < times; k++) n.raw.tick();
  }

  /** Follows the Ready contract: persist, then send (queue), then apply, then advance. */
  private processReady(id: NodeId): string[] {
    const n = this.nodes.get(id)!;
    if (!n.raw.hasReady()) return [];
    const rd = n.raw.ready();
    if (rd.snapshot) n.storage.applySnapshot(rd.snapshot);
    n.storage.append(rd.entries);
    if (rd.hardState) n.storage.setHardState(rd.hardState);
    this.inFlight.push(...rd.messages);
    n.applied.push(...rd.committedEntries);
    n.raw.advance(rd);
    return [`> ${id} handling Ready`, ...describeReady(rd)];
  }

  private isCut(from: NodeId, to: NodeId): boolean {
    if (this.groups.length === 0) return false;
    const group = (x: NodeId) => this.groups.findIndex((g) => g.includes(x));
    return group(from) !== group(to);
  }

  private deliver(to: readonly NodeId[]): string[] {
    const out: string[] = [];
    const now = this.inFlight.filter((m) => to.includes(m.to));
    this.inFlight = this.inFlight.filter((m) => !to.includes(m.to));
    for (const id of to) {
      const mine = now.filter((m) => m.to === id);
      if (mine.length === 0) continue;
      out.push(`> ${id} receiving messages`);
      for (const m of mine) {
        if (this.isCut(m.from, m.to)) {
          out.push(`  dropped: ${describeMessage(m)}`);
          continue;
        }
        out.push(`  ${describeMessage(m)}`);
        const outcome = this.nodes.get(id)!.raw.step(m);
        if (!outcome.ok) out.push(`  ${describeOutcome(outcome)}`);
      }
    }
    return out;
  }

  private stabilize(): string[] {
    const out: string[] = [];
    const ids = [...this.nodes.keys()];
    for (let round = 0; round < 1000; round++) {
      let progressed = false;
      for (const id of ids) {
        const lines = this.processReady(id);
        if (lines.length > 0) progressed = true;
        out.push(...lines);
      }
      if (this.inFlight.length > 0) {
        progressed = true;
        out.push(...this.deliver(ids));
      }
      if (!progressed) return out;
    }
    throw new ScenarioError('stabilize did not converge in 1000 rounds');
  }

  private status(id: NodeId): string[] {
    const n = this.nodes.get(id)!;
    const s = n.raw.status();
    const lines = [
      `${id}: ${s.role} term=${s.term} vote=${s.vote} lead=${s.lead} commit=${s.commit} applied=${s.applied} log=${s.firstIndex}..${s.lastIndex}`,
    ];
    for (const [peer, pr] of s.progress) lines.push(`  ${peer}: ${pr.state} match=${pr.match} next=${pr.next}`);
    const applied = n.applied.slice(-5);
    if (applied.length > 0) lines.push(`  last applied: ${applied.map(describeEntry).join(', ')}`);
    return lines;
  }

  private describeRole(id: NodeId): string {
    const r = this.nodes.get(id)!.raw.raft;
    return `${r.role} term=${r.term} lead=${r.lead}`;
  }

  private roleChanges(): string[] {
    const out: string[] = [];
    for (const id of this.nodes.keys()) {
      const now = this.describeRole(id);
      if (now !== this.lastSeen.get(id)) out.push(`> ${id} is now ${now}`);
      this.lastSeen.set(id, now);
    }
    return out;
  }
}

function describeOutcome(o: StepOutcome): string {
  return o.ok ? 'ok' : `dropped: ${o.reason}`;
}

/** A parsed scenario block: comment lines before it, the command, and its expected output. */
export interface ScenarioBlock {
  readonly comments: readonly string[];
  readonly command: string;
  readonly expected: string;
}

/** Parses a scenario file: `# comments`, a command line, `----`, output up to a blank line. */
export function parseScenario(text: string): { blocks: ScenarioBlock[]; trailing: string[] } {
  const lines = text.split('\n');
  const blocks: ScenarioBlock[] = [];
  let comments: string[] = [];
  let k = 0;
  while (k < lines.length) {
    const line = lines[k]!;
    if (line.startsWith('#') || line.trim() === '') {
      comments.push(line);
      k++;
      continue;
    }
    if (lines[k + 1] !== '----') throw new ScenarioError(`line ${k + 2}: expected ---- after "${line}"`);
    k += 2;
    const expected: string[] = [];
    while (k < lines.length && lines[k] !== '') expected.push(lines[k++]!);
    blocks.push({ comments, command: line, expected: expected.join('\n') });
    comments = [];
  }
  return { blocks, trailing: comments };
}

/** Runs a scenario file; returns the file text with actual outputs (equal to input on success). */
export function runScenario(text: string, bugs?: PlantedBugs): string {
  const { blocks, trailing } = parseScenario(text);
  const env = new Interaction(bugs);
  const out: string[] = [];
  for (const b of blocks) {
    out.push(...b.comments, b.command, '----', env.run(b.command));
  }
  out.push(...trailing);
  return out.join('\n');
}
