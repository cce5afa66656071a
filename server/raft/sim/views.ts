/**
 * Read-only views of a node for the checkers, allocated once per incarnation (the checkers run
 * after every step, so views must be cheap).
 */
import type { Raft } from '../core/raft';
import type { LogIndex, NodeId, Term } from '../core/types';
import type { MemoryStorage } from '../storage/memory';
import type { NodeView } from './checker';

export class LiveView implements NodeView {
  readonly alive = true;
  readonly durable: NodeView;
  constructor(readonly id: NodeId, private readonly raft: Raft, durable: MemoryStorage) {
    this.durable = new DurableView(id, durable);
  }
  get role(): string {
    return this.raft.role;
  }
  get term(): Term {
    return this.raft.term;
  }
  get commit(): LogIndex {
    return this.raft.log.committed;
  }
  get firstIndex(): LogIndex {
    return this.raft.log.firstIndex();
  }
  get lastIndex(): LogIndex {
    return this.raft.log.lastIndex();
  }
  get lastTerm(): Term {
    return this.raft.log.lastTerm();
  }
  termAt(i: LogIndex): Term | undefined {
    return this.raft.log.term(i);
  }
}

/** A crashed node: only its durable state exists. */
export class DurableView implements NodeView {
  readonly alive = false;
  readonly role = 'down';
  get durable(): NodeView {
    return this;
  }
  constructor(readonly id: NodeId, private readonly store: MemoryStorage) {}
  get term(): Term {
    return this.store.initialState().hardState.term;
  }
  get commit(): LogIndex {
    return this.store.initialState().hardState.commit;
  }
  get firstIndex(): LogIndex {
    return this.store.firstIndex();
  }
  get lastIndex(): LogIndex {
    return this.store.lastIndex();
  }
  get lastTerm(): Term {
    return this.store.term(this.store.lastIndex());
  }
  termAt(i: LogIndex): Term | undefined {
    if (i < this.store.firstIndex() - 1 || i > this.store.lastIndex()) return undefined;
    return this.store.term(i);
  }
}
