/**
 * `Doc.takeLocalChanges()` (the batched alternative to per-transaction `update` events): the
 * updates it returns, applied anywhere in any order and with duplicates, carry exactly the local
 * changes, so a peer fed only those updates converges with the sender.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { mulberry32 } from '../random';
import { Doc, LocalChangesNotTrackedError } from './index';

const SEED = 20261126;

describe('Doc.takeLocalChanges', () => {
  it('throws a typed error on a document that does not track local changes', () => {
    const doc = new Doc({ replicaId: 1 });
    expect(() => doc.takeLocalChanges()).toThrow(LocalChangesNotTrackedError);
  });

  it('returns null when nothing changed since the last call, and after remote-only changes', () => {
    const a = new Doc({ replicaId: 1, trackLocalChanges: true });
    const b = new Doc({ replicaId: 2 });
    a.getText('text');
    a.takeLocalChanges();
    expect(a.takeLocalChanges()).toBeNull();
    b.getText('text').insert(0, 'remote');
    a.apply(b.encode());
    expect(a.takeLocalChanges()).toBeNull();
  });

  it('property: the taken updates, shuffled and duplicated, make any peer converge with the sender (text and state vector)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 0x7fffffff }), (runSeed) => {
        const random = mulberry32(runSeed);
        const sender = new Doc({ replicaId: 7, trackLocalChanges: true });
        const other = new Doc({ replicaId: 8 });
        const text = sender.getText('text');
        const taken: Uint8Array[] = [];
        for (let step = 0; step < 30; step++) {
          const roll = random();
          if (roll < 0.5 || text.length === 0) {
            const at = Math.floor(random() * (text.length + 1));
            text.insert(at, 'abcdef'.slice(0, 1 + Math.floor(random() * 5)));
          } else if (roll < 0.8) {
            const at = Math.floor(random() * text.length);
            text.delete(at, 1 + Math.floor(random() * Math.min(3, text.length - at)));
          } else if (roll < 0.9) {
            // A remote edit merged in: it must not come back out of takeLocalChanges as ours.
            other.getText('text').insert(0, 'r');
            sender.apply(other.encode());
          } else {
            const update = sender.takeLocalChanges();
            if (update !== null) taken.push(update);
          }
        }
        const last = sender.takeLocalChanges();
        if (last !== null) taken.push(last);

        const peer = new Doc({ replicaId: 9 });
        peer.apply(other.encode());
        const order = [...taken, ...taken.filter(() => random() < 0.3)];
        for (let i = order.length - 1; i > 0; i--) {
          const j = Math.floor(random() * (i + 1));
          [order[i], order[j]] = [order[j]!, order[i]!];
        }
        for (const update of order) peer.apply(update);
        expect(peer.pendingCount()).toBe(0);
        expect(peer.getText('text').toString()).toBe(text.toString());
        expect(peer.encode()).toEqual(sender.encode());
      }),
      { seed: SEED, numRuns: 300 },
    );
  });
});
