/**
 * A simulated network with virtual time: messages are delayed (and so reordered), dropped,
 * duplicated, and blocked by partitions, which may be asymmetric (a -> b cut, b -> a open).
 *
 * Invariant: delivery order is (deliverAt, sequence number), so a run is a pure function of
 * the seed.
 */
import type { SeededRandom } from '../core/random';
import type { Message, NodeId } from '../core/types';

export interface NetworkFaults {
  /** Probability that a message is lost. */
  readonly drop: number;
  /** Probability that a message is delivered twice. */
  readonly duplicate: number;
  /** Delays are uniform in [1, maxDelay] ticks. */
  readonly maxDelay: number;
}

interface InFlight {
  readonly deliverAt: number;
  readonly seq: number;
  readonly message: Message;
}

export class SimNetwork {
  private inFlight: InFlight[] = [];
  private seq = 0;
  /** Directed links that are cut, as "from>to". */
  private readonly cut = new Set<string>();

  constructor(private readonly random: SeededRandom, public faults: NetworkFaults) {}

  send(message: Message, now: number): void {
    if (this.isCut(message.from, message.to)) return;
    if (this.random.chance(this.faults.drop)) return;
    this.enqueue(message, now);
    if (this.random.chance(this.faults.duplicate)) this.enqueue(message, now);
  }

  private enqueue(message: Message, now: number): void {
    const deliverAt = now + 1 + this.random.nextInt(this.faults.maxDelay);
    this.inFlight.push({ deliverAt, seq: this.seq++, message });
  }

  /** Removes and returns the messages due at `now` whose destination accepts them. */
  takeDue(now: number, accepts: (to: NodeId) => boolean): Message[] {
    const due: InFlight[] = [];
    const rest: InFlight[] = [];
    for (const f of this.inFlight) {
      if (f.deliverAt <= now && accepts(f.message.to)) due.push(f);
      else rest.push(f);
    }
    this.inFlight = rest;
    due.sort((a, b) => a.deliverAt - b.deliverAt || a.seq - b.seq);
    // A partition that formed while a message was in flight also stops it.
    return due.filter((f) => !this.isCut(f.message.from, f.message.to)).map((f) => f.message);
  }

  /** Drops messages addressed to a crashed node. */
  dropTo(node: NodeId): void {
    this.inFlight = this.inFlight.filter((f) => f.message.to !== node);
  }

  isCut(from: NodeId, to: NodeId): boolean {
    return this.cut.has(`${from}>${to}`);
  }

  cutLink(from: NodeId, to: NodeId): void {
    this.cut.add(`${from}>${to}`);
  }

  /** Splits the nodes into groups; links across groups are cut both ways. */
  partition(groups: readonly (readonly NodeId[])[]): void {
    this.heal();
    for (const a of groups) for (const b of groups) {
      if (a === b) continue;
      for (const x of a) for (const y of b) this.cutLink(x, y);
    }
  }

  heal(): void {
    this.cut.clear();
  }

  describePartition(): string {
    return [...this.cut].sort().join(',');
  }
}
