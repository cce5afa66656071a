/**
 * Seeded convergence fuzz (Yjs TestConnector style): 5 replicas, every field type, a network that
 * drops, duplicates, delays and reorders, random disconnects with diff(stateVector) resyncs. After
 * a final resync every replica must hold identical JSON, state vectors and canonical encodings,
 * with nothing pending, and the text rebuilt from `observe` deltas must equal the text. The same
 * runs with `ReferenceRga` must produce the same text. Set FUZZ_SEEDS / FUZZ_STEPS for a soak.
 */
import { describe, expect, it } from 'vitest';
import { ReferenceRga } from './rga/reference';
import { runSimulation, type SimulationResult } from './doc-simulation';
import { snapshot } from './doc-testing';

const SEEDS = Number(process.env.FUZZ_SEEDS ?? 30);
const STEPS = Number(process.env.FUZZ_STEPS ?? 200);
const FIRST_SEED = Number(process.env.FUZZ_FIRST_SEED ?? 1);

/** Throws with the seed in the message unless every replica converged. */
export function expectConverged(result: SimulationResult): void {
  const label = `seed ${result.seed}`;
  const [first, ...rest] = result.docs.map(snapshot);
  expect(first!.pending, label).toBe(0);
  for (const other of rest) expect(other, label).toEqual(first);
  result.docs.forEach((doc, i) => expect(result.mirrors[i], `${label}: observe deltas of replica ${i}`).toBe(doc.getText('body').toString()));
}

describe('Doc convergence over a lossy, reordering network with disconnects', () => {
  it(`${SEEDS} seeds from ${FIRST_SEED} converge (JSON, state vector, encoding, no pending) with Rga, and ReferenceRga gives the same text`, () => {
    for (let seed = FIRST_SEED; seed < FIRST_SEED + SEEDS; seed++) {
      const fast = runSimulation({ seed, steps: STEPS });
      expectConverged(fast);
      const reference = runSimulation({ seed, steps: STEPS, createSequence: () => new ReferenceRga() });
      expectConverged(reference);
      expect(reference.docs[0]!.toJSON(), `seed ${seed}: Rga vs ReferenceRga`).toEqual(fast.docs[0]!.toJSON());
      expect(snapshot(reference.docs[0]!).encoding, `seed ${seed}: Rga vs ReferenceRga encoding`).toBe(snapshot(fast.docs[0]!).encoding);
    }
  });

  it('the network really is hostile: messages were dropped and duplicated, ops were held pending', () => {
    const result = runSimulation({ seed: 7, steps: STEPS });
    expect(result.stats.dropped).toBeGreaterThan(0);
    expect(result.stats.duplicated).toBeGreaterThan(0);
    expect(result.stats.maxPending).toBeGreaterThan(0);
    expect(result.stats.resyncs).toBeGreaterThan(10);
  });
});
