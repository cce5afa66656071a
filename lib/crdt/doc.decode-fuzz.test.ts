/**
 * Hostile bytes: `Doc.apply` and `Doc.load` fed random bytes and mutated valid updates (bit flips,
 * truncation, insertions, byte overwrites) throw only `DecodeError` or `ClockSkewError`, and a
 * document that threw is unchanged (same canonical encoding, same pending count).
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { ClockSkewError } from '../clock/hlc';
import { DecodeError } from '../codec/errors';
import { Doc } from './doc';
import { runSimulation } from './doc-simulation';

const SEED = 777;
const NOW = 1_700_000_000_000 + 100_000;

/** Valid updates to mutate: every transaction update and a few full encodings from a short simulation. */
function corpus(): Uint8Array[] {
  const result = runSimulation({ seed: 3, steps: 60 });
  const updates: Uint8Array[] = [];
  const doc = new Doc({ replicaId: 1, now: () => NOW });
  doc.on('update', (u) => updates.push(u));
  doc.getText('body').insert(0, 'hello 😀 world');
  doc.getText('body').delete(2, 3);
  doc.getSet('tags').add('x');
  doc.getSet('tags').remove('x');
  doc.getMap('meta').set('k', { a: [1, 2.5, 'z'] });
  doc.getRegister('title').set('T');
  doc.getCounter('likes').add(-4);
  return [...updates, doc.encode(), result.docs[0]!.encode(), result.docs[1]!.diff(result.docs[2]!.stateVector())];
}

const CORPUS = corpus();

/** A receiving document with some state of its own (so unchanged-ness is meaningful). */
function receiver(): Doc {
  const doc = Doc.load(CORPUS[CORPUS.length - 2]!, { replicaId: 5, now: () => NOW });
  doc.getText('body').insert(0, 'local ');
  return doc;
}

function expectOnlyTypedErrorsAndNoChange(doc: Doc, bytes: Uint8Array): void {
  const before = doc.encode();
  const pendingBefore = doc.pendingCount();
  try {
    doc.apply(bytes);
  } catch (error) {
    if (!(error instanceof DecodeError || error instanceof ClockSkewError)) throw error;
    expect(Buffer.from(doc.encode()).equals(Buffer.from(before))).toBe(true);
    expect(doc.pendingCount()).toBe(pendingBefore);
  }
  // Whatever happened, the document still encodes and reloads.
  Doc.load(doc.encode(), { replicaId: 6 });
}

const mutationArb = fc.record({
  which: fc.nat(CORPUS.length - 1),
  kind: fc.constantFrom('flip', 'truncate', 'insert', 'overwrite'),
  position: fc.nat(),
  byte: fc.nat(255),
  count: fc.integer({ min: 1, max: 3 }),
});

function mutate(m: { which: number; kind: string; position: number; byte: number; count: number }): Uint8Array {
  let bytes = CORPUS[m.which]!.slice();
  for (let k = 0; k < m.count; k++) {
    const at = (m.position + k * 7919) % bytes.length;
    if (m.kind === 'flip') bytes[at] ^= 1 << ((m.byte + k) % 8);
    else if (m.kind === 'overwrite') bytes[at] = (m.byte + k * 31) & 0xff;
    else if (m.kind === 'truncate') bytes = bytes.slice(0, at);
    else bytes = new Uint8Array([...bytes.slice(0, at), m.byte, ...bytes.slice(at)]);
    if (bytes.length === 0) break;
  }
  return bytes;
}

describe('Doc decoding of hostile bytes', () => {
  const doc = receiver();

  it('mutated valid updates throw only DecodeError/ClockSkewError and never half-apply (1 000 seeded cases)', () => {
    fc.assert(
      fc.property(mutationArb, (m) => expectOnlyTypedErrorsAndNoChange(receiver(), mutate(m))),
      { seed: SEED, numRuns: 1000 },
    );
  });

  it('random bytes (with a valid version byte or not) throw only DecodeError, document unchanged', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), fc.boolean(), (bytes, versioned) => {
        const input = versioned ? new Uint8Array([1, ...bytes]) : bytes;
        expectOnlyTypedErrorsAndNoChange(doc, input);
        try {
          Doc.load(input);
        } catch (error) {
          expect(error).toBeInstanceOf(DecodeError);
        }
      }),
      { seed: SEED, numRuns: 1000 },
    );
  });

  it('every truncation of a valid update is rejected with DecodeError', () => {
    for (const update of CORPUS.slice(0, 4)) {
      for (let length = 0; length < update.length; length++) {
        expect(() => receiver().apply(update.slice(0, length)), `length ${length}`).toThrow(DecodeError);
      }
    }
  });
});
