/**
 * MemoryNetwork: an in-process `Transport` hub for tests. Messages are delivered asynchronously
 * (on a microtask-free `setImmediate`), in order per sender; a node can be cut off with `isolate`.
 * Closing a node's transport tells every other node that it was lost.
 */
import type { Message, NodeId } from '../core/types';
import type { MessageHandler, PeerLostHandler, Transport } from './transport';

export class MemoryNetwork {
  private readonly handlers = new Map<NodeId, MessageHandler>();
  private readonly isolated = new Set<NodeId>();
  private readonly lostHandlers = new Map<NodeId, PeerLostHandler>();

  /** The transport of node `id` on this network. */
  transport(id: NodeId): Transport {
    let closed = false;
    return {
      id,
      send: (messages) => {
        if (closed) return;
        for (const m of messages) this.deliver(m);
      },
      onMessage: (handler) => {
        if (!closed) this.handlers.set(id, handler);
      },
      onPeerLost: (handler) => {
        if (!closed) this.lostHandlers.set(id, handler);
      },
      close: async () => {
        if (closed) return;
        closed = true;
        this.handlers.delete(id);
        this.lostHandlers.delete(id);
        for (const [other, handler] of this.lostHandlers) if (other !== id) setImmediate(() => handler(id));
      },
    };
  }

  /** Drops every message to or from `id` until `heal(id)`. */
  isolate(id: NodeId): void {
    this.isolated.add(id);
  }

  heal(id: NodeId): void {
    this.isolated.delete(id);
  }

  private deliver(m: Message): void {
    if (this.isolated.has(m.from) || this.isolated.has(m.to)) return;
    setImmediate(() => this.handlers.get(m.to)?.(m));
  }
}
