/**
 * The full-state format (state-codec.ts): `encode()` → `load` (bulk path), → `load` with
 * `ReferenceRga` (integration fallback), → `apply` into an empty document, and → `decodeUpdate`
 * as a plain update all give the same document; re-encoding gives the same bytes (canonical); and
 * mutated state bytes only ever throw `DecodeError`, leaving a receiving document unchanged.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { DecodeError } from '../codec/errors';
import { Doc } from './doc';
import { snapshot } from './doc-testing';
import { runSimulation, SeededRandom } from './doc-simulation';
import { ReferenceRga } from './rga/reference';
import { STATE_VERSION } from './state-codec';
import { decodeUpdate, encodeUpdate } from './update-codec';

/** Documents to encode: simulation results, and partial copies of them holding pending ops. */
function corpus(): Doc[] {
  const docs: Doc[] = [];
  for (let seed = 1; seed <= 12; seed++) {
    const result = runSimulation({ seed, steps: 50 });
    const full = result.docs[0]!;
    docs.push(full);
    // A copy that misses an early part of every replica's ops: the rest waits as pending.
    const gaps = new Map<number, number>();
    const random = new SeededRandom(seed);
    for (const [replica, clock] of full.stateVector()) if (random.chance(0.5)) gaps.set(replica, random.int(clock));
    const partial = new Doc({ replicaId: 77 });
    partial.apply(full.diff(gaps));
    docs.push(partial);
  }
  // Typing with corrections: many spans, deleted runs between visible ones, moves back and forth.
  const typed = new Doc({ replicaId: 3 });
  const text = typed.getText('body');
  const random = new SeededRandom(99);
  for (let i = 0; i < 400; i++) {
    const at = random.int(text.length + 1);
    if (random.chance(0.3) && text.length > 0) text.delete(Math.min(at, text.length - 1), 1);
    else text.insert(at, random.pick(['a', 'bc', 'é', '😀', ' word']));
  }
  docs.push(typed);
  const peer = Doc.load(typed.encode(), { replicaId: 4 });
  peer.getText('body').insert(5, 'peer');
  typed.getText('body').insert(5, 'mine');
  peer.apply(typed.encode());
  docs.push(peer);
  return docs;
}

const DOCS = corpus();

describe('full-state format', () => {
  it('encode -> load / load with ReferenceRga / apply into an empty doc / decode as an update: same state, same bytes', () => {
    expect(DOCS.some((doc) => doc.pendingCount() > 0), 'the corpus holds pending ops').toBe(true);
    for (const [i, doc] of DOCS.entries()) {
      const bytes = doc.encode();
      expect(bytes[0], `doc ${i}`).toBe(STATE_VERSION);
      const expected = snapshot(doc);
      expect(snapshot(Doc.load(bytes, { replicaId: 500 })), `doc ${i}: load`).toEqual(expected);
      expect(snapshot(Doc.load(bytes, { replicaId: 500, createSequence: () => new ReferenceRga() })), `doc ${i}: reference`).toEqual(expected);
      const applied = new Doc({ replicaId: 501 });
      applied.apply(bytes);
      expect(snapshot(applied), `doc ${i}: apply`).toEqual(expected);
      const asUpdate = new Doc({ replicaId: 502 });
      asUpdate.apply(encodeUpdate(decodeUpdate(bytes)));
      expect(snapshot(asUpdate), `doc ${i}: as update`).toEqual(expected);
    }
  });

  it('a state applied to a document that holds other edits merges like the equivalent update', () => {
    const [a, b] = [DOCS[0]!, DOCS[2]!];
    const viaState = Doc.load(b.encode(), { replicaId: 600 });
    viaState.apply(a.encode());
    const viaUpdate = Doc.load(b.encode(), { replicaId: 600 });
    viaUpdate.apply(encodeUpdate(decodeUpdate(a.encode())));
    expect(snapshot(viaState)).toEqual(snapshot(viaUpdate));
  });

  const STATES = DOCS.map((doc) => doc.encode());
  const mutationArb = fc.record({
    which: fc.nat(STATES.length - 1),
    kind: fc.constantFrom('flip', 'truncate', 'insert', 'overwrite'),
    position: fc.nat(),
    byte: fc.nat(255),
    count: fc.integer({ min: 1, max: 3 }),
  });

  it('mutated states: load and apply throw only DecodeError, never half-apply, and what loads re-encodes canonically (2 000 seeded cases)', () => {
    const receiver = Doc.load(STATES[1]!, { replicaId: 700 });
    const before = Buffer.from(receiver.encode());
    fc.assert(
      fc.property(mutationArb, (m) => {
        let bytes = STATES[m.which]!.slice();
        for (let k = 0; k < m.count && bytes.length > 0; k++) {
          const at = (m.position + k * 7919) % bytes.length;
          if (m.kind === 'flip') bytes[at] ^= 1 << ((m.byte + k) % 8);
          else if (m.kind === 'overwrite') bytes[at] = (m.byte + k * 31) & 0xff;
          else if (m.kind === 'truncate') bytes = bytes.slice(0, at);
          else bytes = new Uint8Array([...bytes.slice(0, at), m.byte, ...bytes.slice(at)]);
        }
        let loaded: Doc | null = null;
        try {
          loaded = Doc.load(bytes, { replicaId: 701 });
        } catch (error) {
          expect(error).toBeInstanceOf(DecodeError);
        }
        if (loaded !== null) {
          const again = Doc.load(loaded.encode(), { replicaId: 702 });
          expect(Buffer.from(again.encode()).equals(Buffer.from(loaded.encode()))).toBe(true);
        }
        const copy = Doc.load(receiver.encode(), { replicaId: 700 });
        try {
          copy.apply(bytes);
        } catch (error) {
          expect(error).toBeInstanceOf(DecodeError);
          expect(Buffer.from(copy.encode()).equals(before)).toBe(true);
        }
      }),
      { seed: 2026, numRuns: 2000 },
    );
  });

  it('spans whose clocks run backwards through the document, past 2^11 and 2^22 (each a radix pass of the clock order), load with a working id index', () => {
    const doc = new Doc({ replicaId: 5, trackLocalChanges: true });
    const text = doc.getText('body');
    text.insert(0, 'a'.repeat(2 ** 22 + 10));
    text.delete(100, 2 ** 22 - 200);
    doc.takeLocalChanges();
    const random = new SeededRandom(5);
    for (let i = 0; i < 3000; i++) text.insert(random.chance(0.8) ? 0 : random.int(text.length + 1), random.pick(['x', 'yz', ' ']));
    const loaded = Doc.load(doc.encode(), { replicaId: 6 });
    expect(loaded.getText('body').toString()).toBe(text.toString());
    expect(loaded.encode()).toEqual(doc.encode());
    // Edits next to old characters find their origins by id in the loaded document.
    doc.takeLocalChanges();
    for (const at of [0, 1, 150, text.length - 1, text.length]) text.insert(at, 'new');
    text.delete(2, 40);
    loaded.apply(doc.takeLocalChanges()!);
    expect(loaded.getText('body').toString()).toBe(text.toString());
  });

  it('several text fields edited by several replicas load and apply in bulk like the document they came from', () => {
    const a = new Doc({ replicaId: 21 });
    const b = new Doc({ replicaId: 22 });
    const random = new SeededRandom(21);
    for (let round = 0; round < 30; round++) {
      for (const doc of [a, b]) {
        for (const name of ['title', 'body', 'notes']) {
          const text = doc.getText(name);
          if (random.chance(0.3) && text.length > 0) text.delete(random.int(text.length), 1);
          else text.insert(random.int(text.length + 1), random.pick(['x', 'yz', ' word']));
        }
      }
      a.apply(b.encode());
      b.apply(a.encode());
    }
    const bytes = a.encode();
    const expected = snapshot(a);
    expect(snapshot(Doc.load(bytes, { replicaId: 23 }))).toEqual(expected);
    const applied = new Doc({ replicaId: 24 });
    applied.apply(bytes);
    expect(snapshot(applied)).toEqual(expected);
    expect(Doc.load(bytes, { replicaId: 25 }).encode()).toEqual(bytes);
  });

  it('every truncation of a state is rejected with DecodeError', () => {
    const state = STATES[STATES.length - 1]!;
    for (let length = 0; length < state.length; length++) {
      expect(() => Doc.load(state.slice(0, length)), `length ${length}`).toThrow(DecodeError);
    }
  });
});
