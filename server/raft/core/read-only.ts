/**
 * The leader's queue of pending ReadIndex requests (thesis §6.4). A request records the commit
 * index when it arrived; once a quorum acknowledges a heartbeat carrying its context (proving the
 * leader was still the leader when the request arrived), it and every earlier request are ready.
 *
 * Invariant: queue order is arrival order, and indexes are non-decreasing along it.
 */
import { quorumSize } from './progress';
import type { LogIndex, NodeId } from './types';

export interface ReadRequest {
  readonly context: string;
  readonly index: LogIndex;
  /** Who asked: the leader itself or a follower that forwarded the request. */
  readonly from: NodeId;
  readonly acks: Set<NodeId>;
}

export class ReadOnlyQueue {
  private readonly pending = new Map<string, ReadRequest>();
  private queue: string[] = [];

  add(context: string, index: LogIndex, from: NodeId, self: NodeId): void {
    if (this.pending.has(context)) return;
    this.pending.set(context, { context, index, from, acks: new Set([self]) });
    this.queue.push(context);
  }

  /** Records an acknowledgement; returns the number of acks for that context (0 if unknown). */
  recordAck(from: NodeId, context: string): number {
    const request = this.pending.get(context);
    if (!request) return 0;
    request.acks.add(from);
    return request.acks.size;
  }

  /** Pops every request up to and including `context`, once it holds a quorum of `voters`. */
  advance(context: string, voters: number): ReadRequest[] {
    const request = this.pending.get(context);
    if (!request || request.acks.size < quorumSize(voters)) return [];
    const k = this.queue.indexOf(context);
    const ready = this.queue.slice(0, k + 1).map((c) => this.pending.get(c)!);
    for (const r of ready) this.pending.delete(r.context);
    this.queue = this.queue.slice(k + 1);
    return ready;
  }

  /** The context of the newest pending request, sent along with heartbeats. */
  lastPendingContext(): string {
    return this.queue[this.queue.length - 1] ?? '';
  }

  reset(): void {
    this.pending.clear();
    this.queue = [];
  }
}
