/**
 * Test helpers shared by the sequence suites and fuzzers: a seeded PRNG and causal-order
 * integration of a pool of runs. Not used by production code.
 */
import type { InsertRun, Sequence, TextDelta } from './types';
import { applyDeltas } from './shared';

/** A seeded pseudo-random generator (mulberry32). Same seed, same sequence. */
export class Prng {
  private state: number;
  constructor(readonly seed: number) {
    this.state = seed >>> 0;
  }
  /** A float in [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  /** An integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  bool(p = 0.5): boolean {
    return this.next() < p;
  }
  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)] as T;
  }
  shuffle<T>(items: readonly T[]): T[] {
    const out = items.slice();
    for (let i = out.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      [out[i], out[j]] = [out[j] as T, out[i] as T];
    }
    return out;
  }
}

/** Splits a run at `offset` (0 < offset < length) into two runs that integrate to the same thing. */
export function splitRun(run: InsertRun, offset: number): [InsertRun, InsertRun] {
  return [
    { ...run, length: offset, content: run.content === null ? null : run.content.slice(0, offset) },
    {
      ...run,
      clock: run.clock + offset,
      length: run.length - offset,
      originLeft: { replica: run.replica, clock: run.clock + offset - 1 },
      content: run.content === null ? null : run.content.slice(offset),
    },
  ];
}

/** Cuts a run into random pieces. */
export function shatterRun(run: InsertRun, rng: Prng): InsertRun[] {
  const out: InsertRun[] = [];
  let rest = run;
  while (rest.length > 1 && rng.bool(0.5)) {
    const [head, tail] = splitRun(rest, 1 + rng.int(rest.length - 1));
    out.push(head);
    rest = tail;
  }
  out.push(rest);
  return out;
}

/**
 * Integrates every run into `seq` in a random causally valid order (a run is taken only when
 * `canIntegrate` says its origins are known, even out of a replica's clock order). Checks that
 * the returned deltas, replayed on a mirror string, track `toString()`. Returns the mirror.
 */
export function integrateInRandomOrder(seq: Sequence, runs: readonly InsertRun[], rng: Prng): string {
  let mirror = seq.toString();
  const pending = rng.shuffle(runs);
  while (pending.length > 0) {
    const readyAt = pending.findIndex((run) => seq.canIntegrate(run));
    if (readyAt < 0) throw new Error(`no run is causally ready (seed ${rng.seed})`);
    const [run] = pending.splice(readyAt, 1) as [InsertRun];
    const deltas: TextDelta[] = seq.integrate(run);
    mirror = applyDeltas(mirror, deltas);
  }
  return mirror;
}
