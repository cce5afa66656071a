/**
 * Algebraic properties of the document CRDTs, for each field type alone and mixed:
 * merge is commutative, associative and idempotent (a join-semilattice, Shapiro et al. 2011),
 * any delivery order of the per-transaction updates (with duplicates) converges, and
 * encode -> load round-trips. Each property runs 1 000 seeded cases.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Doc } from './doc';
import { merge, runScenario, snapshot, type EditChoice, type ScenarioCommand } from './doc-testing';
import type { FieldKind } from './update-codec';

const SEED = 1_125_2026;
const RUNS = 1000;
const params = { seed: SEED, numRuns: RUNS };

function editArb(kinds: readonly FieldKind[]): fc.Arbitrary<EditChoice> {
  return fc.record({ kind: fc.constantFrom(...kinds), a: fc.nat(11), b: fc.nat(11), c: fc.nat(11) });
}

function scenarioArb(kinds: readonly FieldKind[]): fc.Arbitrary<ScenarioCommand[]> {
  const command: fc.Arbitrary<ScenarioCommand> = fc.oneof(
    { weight: 3, arbitrary: fc.record({ type: fc.constant('edit' as const), replica: fc.nat(2), edits: fc.array(editArb(kinds), { minLength: 1, maxLength: 2 }) }) },
    { weight: 1, arbitrary: fc.record({ type: fc.constant('sync' as const), from: fc.nat(2), to: fc.nat(2) }) },
  );
  return fc.array(command, { maxLength: 8 });
}

const TYPES: [string, FieldKind[]][] = [
  ['text', ['text']],
  ['OR-Set', ['set']],
  ['LWW-Register', ['register']],
  ['LWW-Map', ['map']],
  ['PN-Counter', ['counter']],
  ['mixed Doc', ['text', 'set', 'map', 'register', 'counter']],
];

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
