/**
 * Algebraic properties of the document CRDTs, for each field type alone and mixed:
 * merge is commutative, associative and idempotent (a join-semilattice, Shapiro et al. 2011).
 * (Delivery order and round trip: doc.delivery.test.ts.) Each property runs 1 000 seeded cases.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { PROPERTY_RUNS, PROPERTY_SEED, TYPES, scenarioArb } from './doc-arbitraries';
import { merge, runScenario, snapshot } from './doc-testing';

const params = { seed: PROPERTY_SEED, numRuns: PROPERTY_RUNS };

describe.each(TYPES)('%s', (_label, kinds) => {
  const scenarios = scenarioArb(kinds);

  it('merge is commutative: merge(X, Y) = merge(Y, X) (same JSON, state vector, canonical bytes)', () => {
    fc.assert(
      fc.property(scenarios, (commands) => {
        const [x, y] = runScenario(commands, 3).docs;
        expect(snapshot(merge(x!, y!))).toEqual(snapshot(merge(y!, x!)));
      }),
      params,
    );
  });

  it('merge is associative and idempotent: (X.Y).Z = X.(Y.Z), X.X = X, (X.Y).Y = X.Y', () => {
    fc.assert(
      fc.property(scenarios, (commands) => {
        const [x, y, z] = runScenario(commands, 3).docs;
        expect(snapshot(merge(merge(x!, y!), z!))).toEqual(snapshot(merge(x!, merge(y!, z!))));
        const xs = snapshot(x!);
        expect(snapshot(merge(x!, x!))).toEqual({ ...xs, json: xs.json });
        const xy = merge(x!, y!);
        expect(snapshot(merge(xy, y!))).toEqual(snapshot(xy));
      }),
      params,
    );
  });

});
