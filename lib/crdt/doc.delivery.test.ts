/**
 * Algebraic properties of the document CRDTs, for each field type alone and mixed:
 * any delivery order of the per-transaction updates (with duplicates) converges, and
 * encode -> load round-trips (strong eventual consistency, Shapiro et al. 2011). Each property runs 1 000 seeded cases.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { PROPERTY_RUNS, PROPERTY_SEED, TYPES, scenarioArb } from './doc-arbitraries';
import { Doc } from './doc';
import { merge, runScenario, snapshot } from './doc-testing';

const params = { seed: PROPERTY_SEED, numRuns: PROPERTY_RUNS };

describe.each(TYPES)('%s', (_label, kinds) => {
  const scenarios = scenarioArb(kinds);

  it('any delivery order of the transaction updates, with duplicates, converges to the merge of all replicas', () => {
    fc.assert(
      fc.property(scenarios, fc.nat(), (commands, shuffleSeed) => {
        const { docs, updates } = runScenario(commands, 3);
        const expected = snapshot(merge(merge(docs[0]!, docs[1]!), docs[2]!));
        const delivery = [...updates, ...updates.filter((_, i) => (i + shuffleSeed) % 3 === 0)];
        let state = shuffleSeed >>> 0;
        for (let i = delivery.length - 1; i > 0; i--) {
          state = (Math.imul(state, 1_103_515_245) + 12_345) >>> 0;
          const j = state % (i + 1);
          [delivery[i], delivery[j]] = [delivery[j]!, delivery[i]!];
        }
        const receiver = new Doc({ replicaId: 999 });
        for (const update of delivery) receiver.apply(update);
        expect(receiver.pendingCount()).toBe(0);
        // Field declarations without ops are not in transaction updates; compare on the merged state's fields.
        expect(snapshot(receiver)).toEqual(expected);
      }),
      params,
    );
  });

  it('encode -> load round-trips: same JSON, state vector and encoding', () => {
    fc.assert(
      fc.property(scenarios, fc.nat(2), (commands, which) => {
        const doc = runScenario(commands, 3).docs[which]!;
        expect(snapshot(Doc.load(doc.encode(), { replicaId: 999 }))).toEqual(snapshot(doc));
      }),
      params,
    );
  });
});
