/**
 * BatchingPersister on a manual clock: one merge per document per interval with at most one in
 * flight (so durable vectors come in commit order), nothing dropped until acknowledged (failed
 * merges retried with backoff), and a rejected batch retried update by update so only the bad one goes.
 */
import { describe, expect, it } from 'vitest';
import { Doc } from '../../lib/crdt';
import { parseDocId } from '../../lib/sync/protocol';
import { MemoryPersistence } from './persistence';
import { BatchingPersister, type PersisterTimers } from './persister';

const docId = parseDocId('doc');

/** Timers driven by `advance(ms)`. */
function manualClock() {
  let now = 0;
  let nextId = 1;
  const timers = new Map<number, { at: number; callback: () => void }>();
  const api: PersisterTimers = {
    setTimeout(callback, ms) {
      const id = nextId++;
      timers.set(id, { at: now + ms, callback });
      return id;
    },
    clearTimeout(handle) {
      timers.delete(handle as number);
    },
  };
  const flushMicrotasks = async () => {
    for (let k = 0; k < 10; k++) await Promise.resolve();
  };
  return {
    timers: api,
    now: () => now,
    async advance(ms: number) {
      const end = now + ms;
      for (;;) {
        await flushMicrotasks();
        const due = [...timers.entries()].filter(([, t]) => t.at <= end).sort((a, b) => a[1].at - b[1].at)[0];
        if (due === undefined) break;
        timers.delete(due[0]);
        now = Math.max(now, due[1].at);
        due[1].callback();
        await flushMicrotasks();
      }
      now = end;
      await flushMicrotasks();
    },
  };
}

function edits(count: number, replicaId = 9): Uint8Array[] {
  const doc = new Doc({ replicaId });
  const updates: Uint8Array[] = [];
  doc.on('update', (update) => updates.push(update));
  for (let k = 0; k < count; k++) doc.transact(() => doc.getText('body').insert(k, 'x')); // one update per edit
  return updates;
}

function setup(persistence = new MemoryPersistence()) {
  const clock = manualClock();
  const durable: Uint8Array[] = [];
  const persister = new BatchingPersister({
    persistence,
    intervalMs: 50,
    onDurable: (_docId, vector) => durable.push(vector),
    timers: clock.timers,
    now: clock.now,
    random: () => 0.5,
  });
  return { clock, durable, persister, persistence };
}

describe('BatchingPersister', () => {
  it('merges a document at most once per interval, batching what arrived meanwhile; acks in order', async () => {
    const { clock, durable, persister, persistence } = setup();
    const updates = edits(30);
    persister.add(docId, updates[0]!);
    await clock.advance(0);
    expect(persistence.merges).toHaveLength(1);
    for (const update of updates.slice(1, 20)) persister.add(docId, update);
    await clock.advance(49);
    expect(persistence.merges).toHaveLength(1);
    await clock.advance(1);
    expect(persistence.merges).toHaveLength(2); // 19 updates in one merge
    for (const update of updates.slice(20)) persister.add(docId, update);
    await clock.advance(50);
    expect(persistence.merges).toHaveLength(3);
    expect(durable).toHaveLength(3);
    expect(persistence.docs.get(docId)!.getText('body').toString()).toBe('x'.repeat(30));
    expect(persister.idle()).toBe(true);
  });

  it('keeps at most one merge in flight per document', async () => {
    const { clock, persister, persistence } = setup();
    persistence.hold();
    const updates = edits(3);
    persister.add(docId, updates[0]!);
    await clock.advance(0);
    persister.add(docId, updates[1]!);
    persister.add(docId, updates[2]!);
    await clock.advance(500);
    expect(persistence.merges).toHaveLength(1);
    expect(persister.unacknowledged(docId)).toBe(3);
    persistence.release();
    await clock.advance(50);
    expect(persistence.merges).toHaveLength(2);
    expect(persister.idle()).toBe(true);
  });

  it('nothing is dropped while the store is down: failed merges retry with backoff until acknowledged', async () => {
    const { clock, durable, persister, persistence } = setup();
    persistence.available = false;
    for (const update of edits(5)) persister.add(docId, update);
    await clock.advance(1000);
    const failed = persistence.merges.length;
    expect(failed).toBeGreaterThan(2);
    expect(failed).toBeLessThan(20); // backoff, not a busy loop
    expect(durable).toEqual([]);
    persistence.available = true;
    await clock.advance(3000);
    expect(durable).toHaveLength(1);
    expect(persistence.docs.get(docId)!.getText('body').toString()).toBe('xxxxx');
  });

  it('a batch the store rejects is retried update by update: only the bad update is dropped', async () => {
    const { clock, persister, persistence } = setup();
    const good = edits(2);
    const clash = new Doc({ replicaId: 4 });
    const clashUpdates: Uint8Array[] = [];
    clash.on('update', (u) => clashUpdates.push(u));
    clash.transact(() => clash.getMap('body').set('k', 1)); // 'body' is text in the store
    persister.add(docId, good[0]!);
    await clock.advance(0);
    persister.add(docId, clashUpdates[0]!);
    persister.add(docId, good[1]!);
    await clock.advance(500);
    expect(persistence.docs.get(docId)!.getText('body').toString()).toBe('xx');
    expect(persister.idle()).toBe(true);
  });

  it('drain sends what is queued at once and waits for it', async () => {
    const persistence = new MemoryPersistence();
    const persister = new BatchingPersister({ persistence, intervalMs: 10_000, onDurable: () => {} });
    const updates = edits(2);
    persister.add(docId, updates[0]!);
    persister.add(docId, updates[1]!);
    expect(await persister.drain(1000)).toBe(true);
    expect(persistence.docs.get(docId)!.getText('body').toString()).toBe('xx');
  });
});
