import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { DeleteSet, normalizeRanges } from './delete-set';

const SEED = 31337;

describe('DeleteSet (grow-only union of id ranges)', () => {
  it('agrees with a naive set of ids: add returns exactly the newly covered ids, has/intersect/ranges match, ranges stay canonical', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat(2), fc.nat(40), fc.integer({ min: 1, max: 6 })), { maxLength: 25 }), (adds) => {
        const set = new DeleteSet();
        const naive = new Set<string>();
        for (const [replica, clock, length] of adds) {
          const fresh: string[] = [];
          for (let c = clock; c < clock + length; c++) if (!naive.has(`${replica}:${c}`)) fresh.push(`${replica}:${c}`);
          const added = set.add(replica, clock, length).flatMap((r) => Array.from({ length: r.length }, (_, k) => `${r.replica}:${r.clock + k}`));
          expect(added).toEqual(fresh);
          for (const id of fresh) naive.add(id);
        }
        for (let replica = 0; replica < 3; replica++) {
          for (let clock = 0; clock < 50; clock++) expect(set.has(replica, clock)).toBe(naive.has(`${replica}:${clock}`));
          const inside = set.intersect(replica, 10, 20).flatMap((r) => Array.from({ length: r.length }, (_, k) => r.clock + k));
          expect(inside).toEqual(Array.from({ length: 20 }, (_, k) => 10 + k).filter((c) => naive.has(`${replica}:${c}`)));
        }
        const ranges = set.ranges();
        for (let i = 1; i < ranges.length; i++) {
          const a = ranges[i - 1]!;
          const b = ranges[i]!;
          expect(a.replica < b.replica || a.clock + a.length < b.clock).toBe(true);
        }
        expect(normalizeRanges([...ranges].reverse())).toEqual(ranges);
      }),
      { seed: SEED, numRuns: 1000 },
    );
  });

  it('include (the local path that reports nothing) leaves the same set as add, whichever of the two each range takes', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat(2), fc.nat(40), fc.integer({ min: 1, max: 6 }), fc.boolean()), { maxLength: 25 }), (adds) => {
        const viaAdd = new DeleteSet();
        const mixed = new DeleteSet();
        for (const [replica, clock, length, quiet] of adds) {
          viaAdd.add(replica, clock, length);
          if (quiet) mixed.include(replica, clock, length);
          else mixed.add(replica, clock, length);
          expect(mixed.ranges()).toEqual(viaAdd.ranges());
        }
      }),
      { seed: SEED, numRuns: 1000 },
    );
  });
});
