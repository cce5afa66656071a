/**
 * A simulated disk: writes land in a volatile buffer and become durable only on sync(); a crash
 * loses everything written since the last sync (like a page cache without fsync).
 *
 * Invariant: `durable` only ever reflects synced writes, in write order.
 */
import type { Entry, HardState, LogIndex, NodeId, Snapshot } from '../core/types';
import { MemoryStorage } from '../storage/memory';

export type DiskWrite =
  | { readonly kind: 'hardState'; readonly hardState: HardState }
  | { readonly kind: 'append'; readonly entries: readonly Entry[] }
  | { readonly kind: 'installSnapshot'; readonly snapshot: Snapshot }
  | { readonly kind: 'createSnapshot'; readonly index: LogIndex; readonly data: Uint8Array }
  | { readonly kind: 'compact'; readonly index: LogIndex };

export class SimDisk {
  private readonly durable = new MemoryStorage();
  private pending: DiskWrite[] = [];
  /** Number of syncs, for the summary. */
  syncs = 0;

  constructor(voters: readonly NodeId[]) {
    this.durable.setVoters(voters);
  }

  write(w: DiskWrite): void {
    this.pending.push(w);
  }

  sync(): void {
    for (const w of this.pending) applyWrite(this.durable, w);
    this.pending = [];
    this.syncs++;
  }

  /** Power loss: unsynced writes are gone. */
  crash(): void {
    this.pending = [];
  }

  /** The durable state, read-only by convention (for checkers looking at a crashed node). */
  durableStorage(): MemoryStorage {
    return this.durable;
  }

  durableCommit(): LogIndex {
    return this.durable.initialState().hardState.commit;
  }

  /** A fresh page cache holding exactly the durable state, for a restart. */
  load(): MemoryStorage {
    const s = new MemoryStorage();
    const snap = this.durable.snapshot();
    s.setVoters(snap.voters);
    if (snap.index > 0) s.applySnapshot(snap);
    const first = this.durable.firstIndex();
    const last = this.durable.lastIndex();
    if (last >= first) s.append(this.durable.entries(first, (last + 1) as LogIndex, Number.POSITIVE_INFINITY));
    s.setHardState(this.durable.initialState().hardState);
    return s;
  }
}

export function applyWrite(s: MemoryStorage, w: DiskWrite): void {
  switch (w.kind) {
    case 'hardState':
      s.setHardState(w.hardState);
      return;
    case 'append':
      s.append(w.entries);
      return;
    case 'installSnapshot':
      s.applySnapshot(w.snapshot);
      return;
    case 'createSnapshot':
      if (w.index > s.snapshot().index) s.createSnapshot(w.index, w.data);
      return;
    case 'compact':
      if (w.index >= s.firstIndex()) s.compact(w.index);
      return;
  }
}
