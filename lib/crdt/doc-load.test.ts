/**
 * `apply` of a full state into an empty document takes the bulk path (doc-load.ts, as `Doc.load`);
 * it must end exactly where integrating the same state as a plain update ends: same `encode()`
 * bytes, same `toJSON()`, same snapshot, and `change` events whose text deltas rebuild the same
 * texts; and no `update` event.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Doc } from './doc';
import type { ChangeEvent } from './doc-events';
import { snapshot } from './doc-testing';
import { runSimulation, SeededRandom } from './doc-simulation';
import type { TextDelta } from './rga/types';
import { decodeUpdate, encodeUpdate, type FieldKind, type FieldRef } from './update-codec';
import { DecodeError } from '../codec';

/** Declares field `name` of each kind on `doc` (as an app does before its first apply). */
const FIELD_GETTERS: Record<FieldKind, (doc: Doc, name: string) => unknown> = {
  text: (doc, name) => doc.getText(name),
  set: (doc, name) => doc.getSet(name),
  map: (doc, name) => doc.getMap(name),
  register: (doc, name) => doc.getRegister(name),
  counter: (doc, name) => doc.getCounter(name),
};

function applyDeltas(text: string, deltas: readonly TextDelta[]): string {
  for (const delta of deltas) {
    text = 'insert' in delta ? text.slice(0, delta.index) + delta.insert + text.slice(delta.index) : text.slice(0, delta.index) + text.slice(delta.index + delta.delete);
  }
  return text;
}

/** Applies `bytes` to a fresh document, listening; returns it with the texts rebuilt from its events. */
function receive(bytes: Uint8Array) {
  const doc = new Doc({ replicaId: 900 });
  const texts = new Map<string, string>();
  const events: ChangeEvent[] = [];
  let updates = 0;
  doc.on('change', (event) => {
    events.push(event);
    for (const change of event.changes) if (change.kind === 'text') texts.set(change.field, applyDeltas(texts.get(change.field) ?? '', change.deltas));
  });
  doc.on('update', () => updates++);
  doc.apply(bytes, 'origin');
  const nonEmpty = new Map([...texts].filter(([, text]) => text !== ''));
  return { doc, nonEmpty, events, updates };
}

function source(seed: number, steps: number, gapped: boolean): Doc {
  const full = runSimulation({ seed, steps }).docs[0]!;
  if (!gapped) return full;
  const gaps = new Map<number, number>();
  const random = new SeededRandom(seed);
  for (const [replica, clock] of full.stateVector()) if (random.chance(0.5)) gaps.set(replica, random.int(clock));
  const partial = new Doc({ replicaId: 77 });
  partial.apply(full.diff(gaps));
  return partial;
}

describe('apply of a full state into an empty document (bulk path)', () => {
  it('equals integrating the same state as an update: bytes, JSON, snapshot, change events', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 1_000_000 }), fc.integer({ min: 1, max: 60 }), fc.boolean(), (seed, steps, gapped) => {
        const original = source(seed, steps, gapped);
        const bytes = original.encode();
        const bulk = receive(bytes);
        const slow = receive(encodeUpdate(decodeUpdate(bytes)));
        expect(bulk.doc.encode()).toEqual(slow.doc.encode());
        expect(bulk.doc.toJSON()).toEqual(slow.doc.toJSON());
        expect(snapshot(bulk.doc)).toEqual(snapshot(slow.doc));
        expect(bulk.nonEmpty).toEqual(slow.nonEmpty);
        for (const [name, text] of bulk.nonEmpty) expect(text).toBe(bulk.doc.getText(name).toString());
        expect(bulk.updates).toBe(0);
        expect(bulk.events.length).toBe(slow.events.length);
        for (const event of bulk.events) expect([event.local, event.origin]).toEqual([false, 'origin']);
      }),
      { seed: 20261126, numRuns: 60 },
    );
  });

  it('a document that only declared fields (getText before the first apply) takes the state the same way', () => {
    const declare = (doc: Doc, refs: readonly FieldRef[]): void => {
      for (const ref of refs) FIELD_GETTERS[ref.kind](doc, ref.name);
      doc.getText('declared-only');
    };
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 1_000_000 }), fc.integer({ min: 1, max: 40 }), fc.boolean(), (seed, steps, gapped) => {
        const bytes = source(seed, steps, gapped).encode();
        const refs = decodeUpdate(bytes).fields.filter((_, i) => (seed >> i) % 2 === 0);
        const bulk = new Doc({ replicaId: 900 });
        declare(bulk, refs);
        bulk.apply(bytes);
        const slow = new Doc({ replicaId: 900 });
        declare(slow, refs);
        slow.apply(encodeUpdate(decodeUpdate(bytes)));
        expect(bulk.encode()).toEqual(slow.encode());
        expect(bulk.toJSON()).toEqual(slow.toJSON());
        expect(snapshot(bulk)).toEqual(snapshot(slow));
      }),
      { seed: 20261126, numRuns: 40 },
    );
  });

  it('a declared field of another kind than the state says: DecodeError, the document unchanged', () => {
    const doc = new Doc({ replicaId: 1 });
    doc.getText('body').insert(0, 'hello');
    const target = new Doc({ replicaId: 2 });
    target.getCounter('body');
    const before = target.encode();
    expect(() => target.apply(doc.encode())).toThrow(DecodeError);
    expect(target.encode()).toEqual(before);
  });

  it('a text arrives as one insert of its whole text', () => {
    const doc = new Doc({ replicaId: 1 });
    doc.getText('body').insert(0, 'hello world');
    doc.getText('body').delete(0, 6);
    const { events } = receive(doc.encode());
    expect(events).toEqual([{ local: false, origin: 'origin', changes: [{ kind: 'text', field: 'body', deltas: [{ index: 0, insert: 'world' }] }] }]);
  });

  it('an invalid state leaves the empty document unchanged', () => {
    const doc = new Doc({ replicaId: 1 });
    doc.getText('body').insert(0, 'hello');
    const bytes = doc.encode();
    const target = new Doc({ replicaId: 2 });
    const before = target.encode();
    expect(() => target.apply(bytes.subarray(0, bytes.length - 1))).toThrow();
    expect(target.encode()).toEqual(before);
  });
});
