/** The update and state-vector codecs round-trip every valid value (STYLE 4: every codec is fuzzed). */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { ReplicaId } from '../clock/replica';
import type { JsonValue } from '../codec/json';
import { Encoder } from '../codec/encoder';
import { DecodeError } from '../codec/errors';
import { normalizeRanges } from './delete-set';
import { FieldTableCache, decodeStateVector, decodeUpdate, encodeStateVector, encodeUpdate, opLength, type FieldKind, type FieldRef, type Op, type Update } from './update-codec';

const SEED = 2468;
const KINDS: FieldKind[] = ['text', 'set', 'map', 'register', 'counter'];
const fieldsArb = fc.uniqueArray(fc.record({ name: fc.string({ maxLength: 4 }), kind: fc.constantFrom(...KINDS) }), { selector: (f) => f.name, minLength: 1, maxLength: 4 });
const replicaArb = fc.oneof(fc.nat(4), fc.constant(0xffff_ffff)).map((r) => r as ReplicaId);
const tsArb = fc.record({ wallMs: fc.oneof(fc.nat(10), fc.maxSafeNat()), logical: fc.nat(1000) });
const idArb = (replica: number, clock: number): fc.Arbitrary<{ replica: number; clock: number } | null> =>
  fc.option(fc.record({ replica: fc.oneof(fc.constant(replica), replicaArb), clock: fc.nat(Math.max(0, clock - 1)) }), { nil: null }).map((id) =>
    id === null || clock === 0 ? null : id,
  );

type OpSeed = { gap: number; length: number; pick: number; text: string; json: JsonValue; ts: { wallMs: number; logical: number }; tomb: boolean; delta: number; left: number; right: number };
const opSeedArb: fc.Arbitrary<OpSeed> = fc.record({
  gap: fc.oneof(fc.constant(0), fc.nat(5)),
  length: fc.integer({ min: 1, max: 4 }),
  pick: fc.nat(5),
  text: fc.string({ unit: 'binary', minLength: 4, maxLength: 4 }),
  json: fc.jsonValue({ maxDepth: 2 }) as fc.Arbitrary<JsonValue>,
  ts: tsArb,
  tomb: fc.boolean(),
  delta: fc.maxSafeInteger(),
  left: fc.nat(),
  right: fc.nat(),
});

/** Builds a valid op list for one replica from seeds (kinds follow the field table). */
function buildOps(replica: number, fields: FieldRef[], seeds: OpSeed[], deleted: boolean[]): Op[] {
  const ops: Op[] = [];
  let clock = 0;
  seeds.forEach((seed, i) => {
    clock += seed.gap;
    const field = fields[seed.pick % fields.length]!;
    let op: Op;
    if (seed.pick === 5) op = { kind: 'skip', clock, length: seed.length };
    else if (field.kind === 'text') {
      const left = clock > 0 && seed.left % 3 !== 0 ? { replica: seed.left % 2 === 0 ? replica : (seed.left % 7) + 10, clock: seed.left % clock } : null;
      // Same-replica origins are before the insert; left and right never coincide (both are DecodeErrors).
      const right = seed.right % 3 !== 0 ? (seed.right % 2 === 0 && clock > 0 ? { replica, clock: seed.right % clock } : { replica: 30, clock: seed.right % 1000 }) : null;
      const coincide = left !== null && right !== null && left.replica === right.replica && left.clock === right.clock;
      op = { kind: 'insert', clock, field, run: { replica, clock, length: seed.length, originLeft: left, originRight: coincide ? null : right, content: deleted[i] ? null : seed.text.slice(0, seed.length).padEnd(seed.length, 'x') } };
    } else if (field.kind === 'set') op = { kind: 'add', clock, field, value: seed.text };
    else if (field.kind === 'map') op = { kind: 'mapSet', clock, field, key: seed.text, value: seed.tomb ? undefined : seed.json, ts: seed.ts };
    else if (field.kind === 'register') op = { kind: 'registerSet', clock, field, value: seed.json, ts: seed.ts };
    else op = { kind: 'counterAdd', clock, field, delta: seed.delta };
    ops.push(op);
    clock += opLength(op);
  });
  return ops;
}

const updateArb: fc.Arbitrary<Update> = fc
  .record({
    fields: fieldsArb,
    replicas: fc.uniqueArray(fc.record({ replica: replicaArb, seeds: fc.array(opSeedArb, { minLength: 1, maxLength: 5 }), deleted: fc.array(fc.boolean(), { minLength: 5, maxLength: 5 }) }), { selector: (r) => r.replica, maxLength: 3 }),
    deletes: fc.array(fc.record({ replica: replicaArb, clock: fc.nat(50), length: fc.integer({ min: 1, max: 5 }) }), { maxLength: 6 }),
  })
  .map(({ fields, replicas, deletes }) => ({
    fields: [...fields].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)),
    replicas: [...replicas].sort((a, b) => a.replica - b.replica).map((r) => ({ replica: r.replica, ops: buildOps(r.replica, fields, r.seeds, r.deleted) })),
    deletes: normalizeRanges(deletes),
  }));

/** Field refs decode as plain objects; compare ops by name/kind. */
function plain(update: Update): unknown {
  return JSON.parse(JSON.stringify(update, (_k, v: unknown) => (v === undefined ? '<undefined>' : v)));
}

describe('update codec', () => {
  it('decode(encode(u)) = u for every valid update, and re-encoding gives the same bytes', () => {
    fc.assert(
      fc.property(updateArb, (update) => {
        const bytes = encodeUpdate(update);
        const decoded = decodeUpdate(bytes);
        expect(plain(decoded)).toEqual(plain(update));
        expect(encodeUpdate(decoded)).toEqual(bytes);
      }),
      { seed: SEED, numRuns: 1000 },
    );
  });

  it('a shared field-table cache and a reused scratch encoder change nothing: same updates, same bytes, over a stream of updates', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(updateArb, fc.nat(3)), { minLength: 1, maxLength: 8 }), (stream) => {
        const cache = new FieldTableCache();
        const scratch = new Encoder(8);
        let previous: Uint8Array | null = null;
        for (const [update, repeat] of stream) {
          // Sometimes the same update again (its table then comes from the cache), sometimes a new one.
          const bytes: Uint8Array = repeat === 0 && previous !== null ? previous : encodeUpdate(update, scratch);
          expect(bytes).toEqual(encodeUpdate(repeat === 0 && previous !== null ? decodeUpdate(previous) : update));
          expect(plain(decodeUpdate(bytes, cache))).toEqual(plain(decodeUpdate(bytes)));
          previous = bytes;
        }
      }),
      { seed: SEED, numRuns: 500 },
    );
  });

  it('a cached field table is only reused for identical bytes: a changed table after a cached one decodes (or fails) as without the cache', () => {
    fc.assert(
      fc.property(updateArb, fc.nat(), fc.nat(255), (update, position, byte) => {
        const cache = new FieldTableCache();
        const bytes = encodeUpdate(update);
        decodeUpdate(bytes, cache);
        const mutated = bytes.slice();
        mutated[1 + (position % Math.max(1, mutated.length - 1))] = byte;
        let expected: unknown;
        try {
          expected = plain(decodeUpdate(mutated));
        } catch (error) {
          expect(error).toBeInstanceOf(DecodeError);
          expect(() => decodeUpdate(mutated, cache)).toThrow(DecodeError);
          return;
        }
        expect(plain(decodeUpdate(mutated, cache))).toEqual(expected);
      }),
      { seed: SEED, numRuns: 1000 },
    );
  });

  it('a large update (a paste) is encoded into a buffer of its own: same bytes as without the scratch, no room kept, the scratch untouched', () => {
    const field: FieldRef = { name: 'text', kind: 'text' };
    const scratch = new Encoder(64);
    for (const content of ['a'.repeat(6000), 'é'.repeat(3000), '😀'.repeat(1000) + 'x', 'b'.repeat(1000)]) {
      const update: Update = {
        fields: [field],
        replicas: [{ replica: 3 as ReplicaId, ops: [{ kind: 'insert', clock: 0, field, run: { replica: 3, clock: 0, length: content.length, originLeft: null, originRight: null, content } }] }],
        deletes: [{ replica: 1, clock: 4, length: 2 }],
      };
      const bytes = encodeUpdate(update, scratch);
      expect(Buffer.compare(bytes, encodeUpdate(update))).toBe(0);
      expect(bytes.buffer.byteLength).toBeLessThanOrEqual(Math.ceil((bytes.length * 8) / 7) + 8);
      expect(decodeUpdate(bytes)).toEqual(update);
      expect(scratch.length).toBe(0); // never written: the paste did not go through it
    }
  });

  it('state vectors round-trip; unordered or duplicate replicas are DecodeErrors', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(replicaArb, fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER })), { maxLength: 6 }), (entries) => {
        const vv = new Map(entries);
        expect(decodeStateVector(encodeStateVector(vv))).toEqual(new Map([...vv].sort((a, b) => a[0] - b[0])));
      }),
      { seed: SEED, numRuns: 1000 },
    );
    expect(() => decodeStateVector(new Uint8Array([2, 5, 1, 3, 1]))).toThrow(DecodeError);
    expect(() => decodeStateVector(new Uint8Array([2, 5, 1, 5, 1]))).toThrow(DecodeError);
  });
});
