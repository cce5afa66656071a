/**
 * Interleaving puzzles, ported from josephg/reference-crdts (`test.ts`) and the Fugue paper
 * (Weidner, Gentle, Kleppmann 2023, "The Art of the Fugue: Minimizing Interleaving in
 * Collaborative Text Editing"). Each puzzle integrates its runs in many causally valid orders
 * and expects one exact text. Replica numbers stand in for reference-crdts' agent names
 * ('0'..'9' -> 0..9, 'A'.. -> 10..), so ties break the same way.
 */
import { describe, expect, it } from 'vitest';
import { integrateInRandomOrder, Prng } from './testing';
import type { InsertRun, ItemId, Sequence } from './types';

const A = 10;
const B = 11;
const C = 12;
const D = 13;
const X = 33;
const Y = 34;

function id(replica: number, clock: number): ItemId {
  return { replica, clock };
}

/** One character as a run. */
function item(content: string, replica: number, clock: number, left: ItemId | null, right: ItemId | null): InsertRun {
  return { replica, clock, length: content.length, originLeft: left, originRight: right, content };
}

/** Integrates `runs` in `orders` random causal orders; every order must give `expected`. */
function expectAllOrders(factory: () => Sequence, runs: InsertRun[], expected: string, orders = 40): void {
  for (let seed = 1; seed <= orders; seed++) {
    const seq = factory();
    const mirror = integrateInRandomOrder(seq, runs, new Prng(seed));
    expect(seq.toString(), `order seed ${seed}`).toBe(expected);
    expect(mirror, `deltas, order seed ${seed}`).toBe(expected);
  }
}

/** A replica typing `word` at visible `index` of its copy of `base`, forwards or backwards. */
function typeWord(
  factory: () => Sequence,
  base: readonly InsertRun[],
  replica: number,
  index: number,
  word: string,
  direction: 'forward' | 'backward',
): InsertRun[] {
  const seq = factory();
  for (const run of base) seq.integrate(run);
  const runs: InsertRun[] = [];
  for (let k = 0; k < word.length; k++) {
    if (direction === 'forward') runs.push(seq.insertLocal(index + k, word[k] as string, replica, k));
    else runs.push(seq.insertLocal(index, word[word.length - 1 - k] as string, replica, k));
  }
  return runs;
}

/** Registers the interleaving puzzles for one implementation. */
export function registerInterleavingSuite(name: string, factory: () => Sequence): void {
  describe(`Interleaving puzzles: ${name}`, () => {
    it('concurrent inserts at the start order by replica (concurrentAvsB)', () => {
      expectAllOrders(factory, [item('a', A, 0, null, null), item('b', B, 0, null, null)], 'ab');
    });

    it('Fugue: forward non-interleaving, one run each (interleavingForward)', () => {
      expectAllOrders(factory, [item('aaa', A, 0, null, null), item('bbb', B, 0, null, null)], 'aaabbb');
    });

    it('Fugue: forward non-interleaving, one character at a time (interleavingForward)', () => {
      const runs = [
        item('a', A, 0, null, null),
        item('a', A, 1, id(A, 0), null),
        item('a', A, 2, id(A, 1), null),
        item('b', B, 0, null, null),
        item('b', B, 1, id(B, 0), null),
        item('b', B, 2, id(B, 1), null),
      ];
      expectAllOrders(factory, runs, 'aaabbb');
    });

    it('Fugue: forward non-interleaving does not depend on ids (interleavingForward2)', () => {
      const runs = [
        item('a', A, 0, null, null),
        item('a', X, 0, id(A, 0), null),
        item('a', Y, 0, id(X, 0), null),
        item('b', B, 0, null, null),
        item('b', C, 0, id(B, 0), null),
        item('b', D, 0, id(C, 0), null),
      ];
      expectAllOrders(factory, runs, 'aaabbb');
    });

    it('Fugue: backward non-interleaving (interleavingBackward)', () => {
      const runs = [
        item('a', A, 0, null, null),
        item('a', A, 1, null, id(A, 0)),
        item('a', A, 2, null, id(A, 1)),
        item('b', B, 0, null, null),
        item('b', B, 1, null, id(B, 0)),
        item('b', B, 2, null, id(B, 1)),
      ];
      expectAllOrders(factory, runs, 'aaabbb');
    });

    it('Fugue: backward non-interleaving with foreign ids (interleavingBackward2)', () => {
      const runs = [
        item('a', A, 0, null, null),
        item('a', X, 0, null, id(A, 0)),
        item('b', B, 0, null, null),
        item('b', B, 1, null, id(B, 0)),
      ];
      expectAllOrders(factory, runs, 'aabb');
    });

    it('Fugue: a run with a head typed backwards and a tail typed forwards stays whole (withTails)', () => {
      const runs = [
        item('a', A, 0, null, null),
        item('<', A, 1, null, id(A, 0)),
        item('>', A, 2, id(A, 0), null),
        item('b', B, 0, null, null),
        item('[', B, 1, null, id(B, 0)),
        item(']', B, 2, id(B, 0), null),
      ];
      expectAllOrders(factory, runs, '<a>[b]');
    });

    it('Fugue: withTails holds when the head comes from a lower replica (withTails2)', () => {
      const runs = [
        item('a', A, 0, null, null),
        item('<', A, 1, null, id(A, 0)),
        item('>', A, 2, id(A, 0), null),
        item('b', B, 0, null, null),
        item('[', 1, 0, null, id(B, 0)),
        item(']', B, 1, id(B, 0), null),
      ];
      expectAllOrders(factory, runs, '<a>[b]');
    });

    it('an insert between two concurrent items is placed before a third concurrent one (localVsConcurrent)', () => {
      const runs = [
        item('a', A, 0, null, null),
        item('c', C, 0, null, null),
        item('b', B, 0, null, null),
        item('d', D, 0, id(A, 0), id(C, 0)),
      ];
      expectAllOrders(factory, runs, 'adbc');
    });

    /**
     * The Fugue paper's opening example: two users add an item to a shopping list at the same
     * place. Whatever the typing direction, the words must not interleave.
     */
    for (const [dirA, dirB] of [
      ['forward', 'forward'],
      ['backward', 'backward'],
      ['forward', 'backward'],
      ['backward', 'forward'],
    ] as const) {
      it(`Fugue §1: concurrent "milk"/"eggs" typed ${dirA}/${dirB} at one place do not interleave`, () => {
        const base = [item('Shopping:\n\n', 1, 0, null, null)];
        const milk = typeWord(factory, base, 2, 10, 'milk\n', dirA);
        const eggs = typeWord(factory, base, 3, 10, 'eggs\n', dirB);
        const runs = [...base, ...milk, ...eggs];
        const seq = factory();
        integrateInRandomOrder(seq, runs, new Prng(1));
        const text = seq.toString();
        expect(['Shopping:\nmilk\neggs\n\n', 'Shopping:\neggs\nmilk\n\n']).toContain(text);
        expectAllOrders(factory, runs, text, 25);
      });
    }

    it('Fugue: three users typing words at one place, in random directions, never interleave', () => {
      const words = ['apple', 'kiwi', 'fig'];
      for (let seed = 1; seed <= 20; seed++) {
        const rng = new Prng(seed);
        const base = [item('[]', 1, 0, null, null)];
        const runs = [...base];
        words.forEach((word, w) => {
          runs.push(...typeWord(factory, base, 2 + w, 1, word, rng.bool() ? 'forward' : 'backward'));
        });
        const seq = factory();
        integrateInRandomOrder(seq, runs, rng);
        const inner = seq.toString().slice(1, -1);
        expect(inner.length, `seed ${seed}`).toBe(12);
        const found = words.map((word) => inner.indexOf(word));
        expect(found.every((at) => at >= 0), `seed ${seed}: ${inner}`).toBe(true);
      }
    });
  });
}
