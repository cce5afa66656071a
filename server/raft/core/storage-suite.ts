/**
 * The shared contract suite for `WritableStorage` implementations (etcd's storage tests): every
 * implementation registers itself with `describeStorageContract` in its own test file.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CompactedError, UnavailableError, type WritableStorage } from './storage';
import { asIndex, asNodeId, asTerm, type Entry } from './types';

const bytes = (s: string) => new TextEncoder().encode(s);
const entry = (index: number, term: number, data = ''): Entry => ({ index: asIndex(index), term: asTerm(term), data: bytes(data) });

export function describeStorageContract(name: string, make: () => WritableStorage): void {
  describe(`Storage contract: ${name}`, () => {
    it('starts empty: first index 1, last index 0, term(0) = 0, empty hard state', () => {
      const s = make();
      expect(s.firstIndex()).toBe(1);
      expect(s.lastIndex()).toBe(0);
      expect(s.term(asIndex(0))).toBe(0);
      expect(s.initialState().hardState).toEqual({ term: 0, vote: 0, commit: 0 });
    });

    it('stores the hard state', () => {
      const s = make();
      s.setHardState({ term: asTerm(3), vote: asNodeId(2), commit: asIndex(0) });
      expect(s.initialState().hardState).toEqual({ term: 3, vote: 2, commit: 0 });
    });

    it('appends, and a conflicting append truncates the suffix (§5.3)', () => {
      const s = make();
      s.append([entry(1, 1, 'a'), entry(2, 1, 'b'), entry(3, 1, 'c')]);
      s.append([entry(2, 2, 'x')]);
      expect(s.lastIndex()).toBe(2);
      expect(s.term(asIndex(2))).toBe(2);
      expect(s.entries(asIndex(1), asIndex(3), Infinity).map((e) => e.term)).toEqual([1, 2]);
    });

    it('limits entries by bytes but always returns at least one', () => {
      const s = make();
      s.append([entry(1, 1, 'aaaa'), entry(2, 1, 'bbbb'), entry(3, 1, 'cccc')]);
      expect(s.entries(asIndex(1), asIndex(4), 0)).toHaveLength(1);
      expect(s.entries(asIndex(1), asIndex(4), 8)).toHaveLength(2);
      expect(s.entries(asIndex(1), asIndex(4), Infinity)).toHaveLength(3);
    });

    it('throws CompactedError below the first index and UnavailableError past the last', () => {
      const s = make();
      s.append([entry(1, 1), entry(2, 1), entry(3, 2), entry(4, 2)]);
      s.createSnapshot(asIndex(3), bytes('sm@3'));
      s.compact(asIndex(3));
      expect(s.firstIndex()).toBe(4);
      expect(s.term(asIndex(3))).toBe(2);
      expect(() => s.term(asIndex(2))).toThrow(CompactedError);
      expect(() => s.entries(asIndex(3), asIndex(5), Infinity)).toThrow(CompactedError);
      expect(() => s.entries(asIndex(4), asIndex(6), Infinity)).toThrow(UnavailableError);
      expect(s.snapshot().index).toBe(3);
      expect(s.snapshot().term).toBe(2);
    });

    it('applySnapshot replaces the log (§7)', () => {
      const s = make();
      s.append([entry(1, 1), entry(2, 1)]);
      s.applySnapshot({ index: asIndex(10), term: asTerm(3), voters: [asNodeId(1)], data: bytes('sm@10') });
      expect(s.firstIndex()).toBe(11);
      expect(s.lastIndex()).toBe(10);
      expect(s.term(asIndex(10))).toBe(3);
      s.append([entry(11, 3, 'next')]);
      expect(s.lastIndex()).toBe(11);
    });

    it('property: after any appends, entries(first, last+1) is contiguous and terms match term(i)', () => {
      fc.assert(
        fc.property(fc.array(fc.tuple(fc.nat(8), fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 3 })), { maxLength: 20 }), (ops) => {
          const s = make();
          let term = 1;
          for (const [back, count, dt] of ops) {
            const start = Math.max(1, s.lastIndex() + 1 - back);
            term += dt;
            s.append(Array.from({ length: count }, (_, k) => entry(start + k, term)));
          }
          const all = s.entries(s.firstIndex(), asIndex(s.lastIndex() + 1), Infinity);
          all.forEach((e, k) => {
            expect(e.index).toBe(s.firstIndex() + k);
            expect(s.term(e.index)).toBe(e.term);
          });
          for (let k = 1; k < all.length; k++) expect(all[k]!.term).toBeGreaterThanOrEqual(all[k - 1]!.term);
        }),
        { seed: 7, numRuns: 100 },
      );
    });
  });
}
