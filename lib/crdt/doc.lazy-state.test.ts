/**
 * A `Doc` makes its listener sets, field handles, scratch encoder, field-table cache and pending
 * buffer on first use. Property: a document whose lazily made parts all exist already (made by
 * listeners added and removed, an update that had to wait, an observed text) behaves exactly as a
 * fresh one: same update bytes per transaction, same taken local changes, same state.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Doc } from './doc';
import { PROPERTY_SEED, scenarioArb } from './doc-arbitraries';
import { runScenario, snapshot, type ScenarioCommand } from './doc-testing';
import { encodeUpdate } from './update-codec';

const REPLICAS = 3;
const noop = (): void => {};

/** Two updates of replica 50 on the `body` text: clocks 0-1, then 2 (which waits for the first). */
function primingUpdates(): [Uint8Array, Uint8Array] {
  const source = new Doc({ replicaId: 50, trackLocalChanges: true });
  const text = source.getText('body');
  text.insert(0, 'ab');
  const first = source.takeLocalChanges()!;
  text.insert(2, 'c');
  return [first, source.takeLocalChanges()!];
}

/** Makes every lazily created part of `doc` (and lets go of the listeners), leaving its state as `plain` leaves it. */
function prime(doc: Doc, [first, second]: [Uint8Array, Uint8Array]): void {
  doc.on('update', noop)();
  doc.on('change', noop)();
  doc.apply(encodeUpdate({ fields: [], replicas: [], deletes: [] })); // field-table cache
  doc.apply(second); // waits: the pending buffer
  doc.apply(first);
  doc.getText('body').observe(noop)();
  doc.takeLocalChanges();
}

function plain(doc: Doc, [first, second]: [Uint8Array, Uint8Array]): void {
  doc.apply(first);
  doc.apply(second);
  doc.getText('body');
  doc.takeLocalChanges();
}

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');

/** Runs `commands` on fresh replicas set up by `setUp`; returns every update, every taken change and the final snapshots. */
function run(commands: readonly ScenarioCommand[], setUp: (doc: Doc) => void): { emitted: string[]; taken: string[]; states: unknown[] } {
  const taken: string[] = [];
  const afterEdit = (doc: Doc): void => void taken.push(hex(doc.takeLocalChanges() ?? new Uint8Array()));
  const { docs, updates } = runScenario(commands, REPLICAS, { trackLocalChanges: true }, { setUp, afterEdit });
  return { emitted: updates.map(hex), taken, states: docs.map(snapshot) };
}

describe('Doc: state made on first use', () => {
  it('property: a document with every lazily made part already made behaves as a fresh one (update bytes, taken changes, state)', () => {
    const updates = primingUpdates();
    fc.assert(
      fc.property(scenarioArb(['text', 'set', 'map', 'register', 'counter']), (commands) => {
        expect(run(commands, (doc) => prime(doc, updates))).toEqual(run(commands, (doc) => plain(doc, updates)));
      }),
      { seed: PROPERTY_SEED, numRuns: 300 },
    );
  });

  it('a document nobody listens to and that never received anything still encodes, diffs and counts pending ops', () => {
    const doc = new Doc({ replicaId: 3 });
    expect(doc.pendingCount()).toBe(0);
    expect(Doc.load(doc.encode()).toJSON()).toEqual({});
    expect(Doc.load(doc.diff(new Map())).toJSON()).toEqual({});
    doc.off('update', noop);
    doc.off('change', noop);
  });
});
