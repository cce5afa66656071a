import { describe, expect, it } from 'vitest';
import { Doc } from '../crdt';
import { DocSaver, MemoryDocStore, type DocStore } from './offline-store';

class ManualTimers {
  private callbacks = new Map<number, () => void>();
  private next = 1;
  setTimeout(callback: () => void): number {
    const id = this.next++;
    this.callbacks.set(id, callback);
    return id;
  }
  clearTimeout(id: unknown): void {
    this.callbacks.delete(id as number);
  }
  get pending(): number {
    return this.callbacks.size;
  }
  fireAll(): void {
    const callbacks = [...this.callbacks.values()];
    this.callbacks.clear();
    for (const callback of callbacks) callback();
  }
}

describe('offline store', () => {
  it('a document saved while offline comes back in a new session and its edits are still its own', async () => {
    const store = new MemoryDocStore();
    const timers = new ManualTimers();
    const first = new Doc({ replicaId: 11 });
    const pending: boolean[] = [];
    const saver = new DocSaver('d', first, store, timers, 250, () => {}, (value) => pending.push(value));
    first.getText('body').insert(0, 'written offline');
    saver.markDirty();
    saver.markDirty();
    expect(timers.pending).toBe(1);
    timers.fireAll();
    await saver.flush();
    expect(pending).toEqual([true, false]);

    const stored = await store.load('d');
    expect(stored).not.toBeNull();
    const second = new Doc({ replicaId: 12 });
    second.apply(stored as Uint8Array);
    expect(second.getText('body').toString()).toBe('written offline');

    // A relay that never saw those edits gets them from the handshake diff.
    const relay = new Doc({ replicaId: 13 });
    relay.apply(second.diff(relay.encodeStateVector()));
    expect(relay.getText('body').toString()).toBe('written offline');
  });

  it('a failed save is reported and retried on the next flush', async () => {
    let failures = 1;
    const saved: Uint8Array[] = [];
    const flaky: DocStore = {
      load: async () => null,
      save: async (_id, state) => {
        if (failures-- > 0) throw new Error('QuotaExceededError');
        saved.push(state);
      },
    };
    const errors: unknown[] = [];
    const doc = new Doc({ replicaId: 1 });
    const saver = new DocSaver('d', doc, flaky, new ManualTimers(), 250, (error) => errors.push(error));
    doc.getText('body').insert(0, 'x');
    saver.markDirty();
    await saver.flush();
    expect(errors).toHaveLength(1);
    await saver.flush();
    expect(saved).toHaveLength(1);
  });
});
