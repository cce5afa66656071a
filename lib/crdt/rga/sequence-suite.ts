/**
 * The shared `Sequence` test suite: every implementation of the seam registers these tests
 * with a factory. Randomised tests are seeded; a failure message names the seed.
 */
import { describe, expect, it } from 'vitest';
import { MissingOriginError, SequenceRangeError } from './errors';
import { applyDeltas } from './shared';
import { integrateInRandomOrder, Prng, shatterRun, splitRun } from './testing';
import type { IdRange, InsertRun, Sequence } from './types';

/** One edit of a random multi-replica history, in creation (hence causal) order. */
export type LoggedEdit = { readonly kind: 'insert'; readonly run: InsertRun } | { readonly kind: 'delete'; readonly range: IdRange };

/** The outcome of `randomHistory`: the edits made and the text every replica converged to. */
export interface History {
  readonly log: readonly LoggedEdit[];
  readonly text: string;
  readonly replicas: readonly Sequence[];
}

const ALPHABET = 'abcdefghijklmnopqrstuvwxyz';

function randomText(rng: Prng, max: number): string {
  let s = '';
  const n = 1 + rng.int(max);
  for (let i = 0; i < n; i++) s += rng.pick([...ALPHABET]);
  return s;
}

/** Applies one logged edit to a replica (skipping runs whose origins it lacks); returns the deltas' effect. */
function applyLogged(seq: Sequence, edit: LoggedEdit): void {
  if (edit.kind === 'insert') {
    if (seq.canIntegrate(edit.run)) seq.integrate(edit.run);
  } else {
    seq.deleteRange(edit.range);
  }
}

/**
 * Builds a random history: `replicaCount` replicas make local inserts and deletes and now and
 * then pull a random part of what the others did; at the end every replica pulls everything.
 * Checks on the way that every replica's deltas track its text.
 */
export function randomHistory(factory: () => Sequence, rng: Prng, replicaCount: number, steps: number): History {
  const replicas = Array.from({ length: replicaCount }, () => factory());
  const clocks = replicas.map(() => 0);
  const log: LoggedEdit[] = [];
  for (let step = 0; step < steps; step++) {
    const r = rng.int(replicaCount);
    const seq = replicas[r] as Sequence;
    const roll = rng.next();
    if (roll < 0.5 || seq.length === 0) {
      const text = randomText(rng, 5);
      const run = seq.insertLocal(rng.int(seq.length + 1), text, r + 1, clocks[r] as number);
      clocks[r] = (clocks[r] as number) + text.length + rng.int(2); // clocks may have gaps
      log.push({ kind: 'insert', run });
    } else if (roll < 0.75) {
      const index = rng.int(seq.length);
      const count = 1 + rng.int(Math.min(4, seq.length - index));
      for (const range of seq.deleteLocal(index, count)) log.push({ kind: 'delete', range });
    } else {
      for (const edit of log) if (rng.bool(0.7)) applyLogged(seq, edit);
    }
  }
  for (const seq of replicas) {
    for (let pass = 0; pass < 2; pass++) for (const edit of log) applyLogged(seq, edit);
  }
  const text = (replicas[0] as Sequence).toString();
  for (const seq of replicas) expect(seq.toString(), `seed ${rng.seed}`).toBe(text);
  return { log, text, replicas };
}

function runsOfAll(seq: Sequence, replicaCount: number): InsertRun[] {
  const runs: InsertRun[] = [];
  for (let r = 1; r <= replicaCount; r++) runs.push(...seq.runsOf(r, 0, Number.MAX_SAFE_INTEGER));
  return runs;
}

/** Registers the shared suite for one implementation of `Sequence`. */
export function registerSequenceSuite(name: string, factory: () => Sequence): void {
  describe(`Sequence contract: ${name}`, () => {
    it('local inserts and deletes behave like splices of a plain string', () => {
      for (let seed = 1; seed <= 20; seed++) {
        const rng = new Prng(seed);
        const seq = factory();
        let expected = '';
        let clock = 0;
        for (let step = 0; step < 200; step++) {
          if (expected.length === 0 || rng.bool(0.6)) {
            const index = rng.int(expected.length + 1);
            const text = randomText(rng, 6);
            const run = seq.insertLocal(index, text, 7, clock);
            expect(run).toMatchObject({ replica: 7, clock, length: text.length, content: text });
            clock += text.length;
            expected = expected.slice(0, index) + text + expected.slice(index);
          } else {
            const index = rng.int(expected.length);
            const count = 1 + rng.int(Math.min(10, expected.length - index));
            const ranges = seq.deleteLocal(index, count);
            expect(ranges.reduce((n, range) => n + range.length, 0), `seed ${seed}`).toBe(count);
            expected = expected.slice(0, index) + expected.slice(index + count);
          }
          expect(seq.length, `seed ${seed} step ${step}`).toBe(expected.length);
        }
        expect(seq.toString(), `seed ${seed}`).toBe(expected);
      }
    });

    it('local edits out of range throw SequenceRangeError and change nothing', () => {
      const seq = factory();
      seq.insertLocal(0, 'abc', 1, 0);
      expect(() => seq.insertLocal(4, 'x', 1, 3)).toThrow(SequenceRangeError);
      expect(() => seq.insertLocal(-1, 'x', 1, 3)).toThrow(SequenceRangeError);
      expect(() => seq.deleteLocal(2, 2)).toThrow(SequenceRangeError);
      expect(seq.toString()).toBe('abc');
    });

    it('remote runs and deletes converge to the same text in any causally valid order', () => {
      for (let seed = 1; seed <= 12; seed++) {
        const history = randomHistory(factory, new Prng(seed), 3, 60);
        for (let order = 0; order < 3; order++) {
          const rng = new Prng(seed * 1000 + order);
          const seq = factory();
          const runs = history.log.flatMap((e) => (e.kind === 'insert' ? [e.run] : []));
          let mirror = integrateInRandomOrder(seq, runs, rng);
          for (const edit of rng.shuffle(history.log)) {
            if (edit.kind === 'delete') mirror = applyDeltas(mirror, seq.deleteRange(edit.range));
          }
          expect(seq.toString(), `seed ${seed} order ${order}`).toBe(history.text);
          expect(mirror, `deltas replayed, seed ${seed} order ${order}`).toBe(history.text);
        }
      }
    });

    it('duplicate and overlapping runs are skipped, and their deltas say so', () => {
      for (let seed = 1; seed <= 8; seed++) {
        const rng = new Prng(seed);
        const history = randomHistory(factory, rng, 3, 40);
        const seq = factory();
        let mirror = '';
        for (const edit of history.log) {
          if (edit.kind !== 'insert') continue;
          const run = edit.run;
          if (run.length > 1) {
            const [head] = splitRun(run, 1 + rng.int(run.length - 1));
            mirror = applyDeltas(mirror, seq.integrate(head));
          }
          mirror = applyDeltas(mirror, seq.integrate(run)); // overlaps the head
          const before = seq.toString();
          expect(seq.integrate(run), `seed ${seed}`).toEqual([]); // exact duplicate
          expect(seq.toString()).toBe(before);
        }
        for (const edit of history.log) if (edit.kind === 'delete') mirror = applyDeltas(mirror, seq.deleteRange(edit.range));
        for (const edit of history.log) if (edit.kind === 'delete') expect(seq.deleteRange(edit.range)).toEqual([]);
        expect(seq.toString(), `seed ${seed}`).toBe(history.text);
        expect(mirror, `seed ${seed}`).toBe(history.text);
      }
    });

    it('runsOf, cut into pieces and re-sent, re-integrates to the same text and the same runs', () => {
      for (let seed = 1; seed <= 10; seed++) {
        const rng = new Prng(seed);
        const history = randomHistory(factory, rng, 3, 60);
        const source = history.replicas[0] as Sequence;
        const runs = runsOfAll(source, 3);
        const pieces = runs.flatMap((run) => shatterRun(run, rng));
        const copy = factory();
        const mirror = integrateInRandomOrder(copy, pieces, rng);
        expect(copy.toString(), `seed ${seed}`).toBe(history.text);
        expect(mirror, `seed ${seed}`).toBe(history.text);
        expect(runsOfAll(copy, 3), `seed ${seed}`).toEqual(runs);
        // A window of clocks starts mid-run with the previous character as origin left.
        for (const run of runs) {
          if (run.length < 2) continue;
          const [window] = source.runsOf(run.replica, run.clock + 1, run.clock + 2);
          expect(window).toEqual(splitRun(splitRun(run, 1)[1], 1)[0]);
        }
      }
    });

    it('indexOf and idAt agree; a deleted id reports where it would be', () => {
      for (let seed = 1; seed <= 8; seed++) {
        const history = randomHistory(factory, new Prng(seed), 2, 50);
        const seq = history.replicas[1] as Sequence;
        for (let i = 0; i < seq.length; i++) {
          const id = seq.idAt(i);
          expect(id, `seed ${seed}`).not.toBeNull();
          expect(seq.indexOf(id!), `seed ${seed} index ${i}`).toBe(i);
          expect(seq.has(id!)).toBe(true);
        }
        expect(seq.idAt(-1)).toBeNull();
        expect(seq.idAt(seq.length)).toBeNull();
        expect(seq.indexOf({ replica: 99, clock: 0 })).toBe(-1);
        for (const edit of history.log) {
          if (edit.kind !== 'delete') continue;
          const id = { replica: edit.range.replica, clock: edit.range.clock };
          const at = seq.indexOf(id);
          expect(at).toBeGreaterThanOrEqual(0);
          expect(at).toBeLessThanOrEqual(seq.length);
          // Inserting at that index puts the new character next to where the deleted one was.
          const before = at === 0 ? null : seq.idAt(at - 1);
          if (before !== null) expect(seq.indexOf(before)).toBe(at - 1);
        }
      }
    });

    it('deleteLocal ranges, applied remotely with deleteRange, give the same text and replayable deltas', () => {
      const a = factory();
      const b = factory();
      const run = a.insertLocal(0, 'hello world', 1, 0);
      b.integrate(run);
      const run2 = a.insertLocal(5, ',', 1, 11);
      b.integrate(run2);
      const ranges = [...a.deleteLocal(3, 5), ...a.deleteLocal(0, 1)];
      let mirror = b.toString();
      for (const range of ranges.slice().reverse()) mirror = applyDeltas(mirror, b.deleteRange(range));
      expect(a.toString()).toBe('elorld');
      expect(b.toString()).toBe('elorld');
      expect(mirror).toBe('elorld');
    });

    it('canIntegrate is false until both origins are known; integrate throws MissingOriginError otherwise', () => {
      const a = factory();
      const r1 = a.insertLocal(0, 'ac', 1, 0);
      const r2 = a.insertLocal(1, 'b', 1, 2);
      const b = factory();
      expect(b.canIntegrate(r2)).toBe(false);
      expect(b.has({ replica: 1, clock: 0 })).toBe(false);
      expect(() => b.integrate(r2)).toThrow(MissingOriginError);
      expect(b.toString()).toBe('');
      expect(b.canIntegrate(r1)).toBe(true);
      b.integrate(r1);
      expect(b.canIntegrate(r2)).toBe(true);
      b.integrate(r2);
      expect(b.toString()).toBe('abc');
    });

    it('a run whose content is dropped integrates as deleted characters that still order others', () => {
      const a = factory();
      const r1 = a.insertLocal(0, 'xyz', 1, 0);
      a.deleteLocal(0, 3);
      const r2 = a.insertLocal(0, 'q', 1, 3);
      const [dropped] = a.runsOf(1, 0, 3);
      expect(dropped).toEqual({ ...r1, content: null });
      const b = factory();
      expect(b.integrate(dropped!)).toEqual([]);
      expect(b.length).toBe(0);
      expect(b.integrate(r2)).toEqual([{ index: 0, insert: 'q' }]);
      expect(b.indexOf({ replica: 1, clock: 1 })).toBe(0);
    });
  });
}
