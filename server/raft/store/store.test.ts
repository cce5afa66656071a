/** DocumentStore: merge semantics (idempotent, commutative), validation, deterministic skips, snapshots. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Doc } from '../../../lib/crdt';
import { parseDocId } from '../../../lib/sync/protocol';
import { asIndex } from '../core/types';
import { CommandDecodeError, decodeCommand, encodeCommand } from './command';
import { DocumentStore, InvalidUpdateError, StoreSnapshotError } from './store';

const seed = Number(process.env.SEED ?? 424242);
const docA = parseDocId('doc-a');
const docB = parseDocId('doc-b');

/** Updates of two replicas editing `body` concurrently. */
function concurrentUpdates(): Uint8Array[] {
  const updates: Uint8Array[] = [];
  for (const replicaId of [1, 2]) {
    const doc = new Doc({ replicaId });
    doc.on('update', (u) => updates.push(u));
    doc.getText('body').insert(0, `r${replicaId}-hello`);
    doc.getText('body').delete(0, 1);
    doc.getSet('tags').add(`t${replicaId}`);
  }
  return updates;
}

const merge = (requestId: string, docId: string, update: Uint8Array) => encodeCommand({ kind: 'merge', requestId, docId: parseDocId(docId), update });

function applyAll(store: DocumentStore, entries: readonly Uint8Array[], from = 1): void {
  entries.forEach((data, k) => store.apply(asIndex(from + k), data));
}

describe('DocumentStore', () => {
  it('merge is idempotent and commutative: any order, with duplicates, gives the same bytes (lib/README: apply)', () => {
    const updates = concurrentUpdates();
    const reference = new DocumentStore();
    applyAll(reference, updates.map((u, k) => merge(`r${k}`, 'doc-a', u)));
    const expected = reference.get(docA)!;
    fc.assert(
      fc.property(fc.shuffledSubarray([...updates.keys(), ...updates.keys()], { minLength: updates.length * 2 }), (order) => {
        const store = new DocumentStore();
        applyAll(store, order.map((k) => merge(`x${k}`, 'doc-a', updates[k]!)));
        const got = store.get(docA)!;
        expect(got.state).toEqual(expected.state);
        expect(got.versionVector).toEqual(expected.versionVector);
      }),
      { seed, numRuns: 100 },
    );
    expect(Doc.load(expected.state).getSet('tags').values()).toEqual(['t1', 't2']);
  });

  it('a version 2 command (fields from checkMerge, one decode) applies exactly as version 1, and records the kinds for validation', () => {
    const updates = concurrentUpdates();
    const v1 = new DocumentStore();
    const v2 = new DocumentStore();
    updates.forEach((u, k) => {
      v1.apply(asIndex(k + 1), merge(`r${k}`, 'doc-a', u));
      const fields = v2.checkMerge('doc-a', u);
      v2.apply(asIndex(k + 1), encodeCommand({ kind: 'merge', requestId: `r${k}`, docId: docA, update: u, fields }));
    });
    expect(v2.encodeSnapshot()).toEqual(v1.encodeSnapshot());
    const clash = new Doc({ replicaId: 9 });
    const clashUpdates: Uint8Array[] = [];
    clash.on('update', (u) => clashUpdates.push(u));
    clash.getCounter('tags').add(1);
    expect(() => v2.checkMerge('doc-a', clashUpdates[clashUpdates.length - 1]!)).toThrow(/tags/);
    expect(() => v2.checkMerge('doc-b', clashUpdates[clashUpdates.length - 1]!)).not.toThrow();
  });

  it('ignores entries at or below the applied index (replay after restart) and no-op entries', () => {
    const store = new DocumentStore();
    const [u] = concurrentUpdates();
    expect(store.apply(asIndex(1), new Uint8Array(0)).kind).toBe('noop');
    expect(store.apply(asIndex(2), merge('a', 'doc-a', u!)).kind).toBe('merged');
    expect(store.apply(asIndex(2), merge('a', 'doc-b', u!)).kind).toBe('noop');
    expect(store.list().map((d) => d.docId)).toEqual(['doc-a']);
    expect(store.appliedIndex).toBe(2);
  });

  it('validateMerge rejects bad ids, undecodable updates and field type clashes before proposing', () => {
    const store = new DocumentStore();
    const textDoc = new Doc({ replicaId: 1 });
    const updates: Uint8Array[] = [];
    textDoc.on('update', (u) => updates.push(u));
    textDoc.getText('title').insert(0, 'x');
    store.apply(asIndex(1), merge('a', 'doc-a', updates[updates.length - 1]!));
    const clash = new Doc({ replicaId: 2 });
    const clashUpdates: Uint8Array[] = [];
    clash.on('update', (u) => clashUpdates.push(u));
    clash.getCounter('title').add(1);
    expect(() => store.validateMerge('bad id!', updates[0]!)).toThrow(InvalidUpdateError);
    expect(() => store.validateMerge('doc-a', Uint8Array.of(1, 2, 3))).toThrow(InvalidUpdateError);
    expect(() => store.validateMerge('doc-a', clashUpdates[clashUpdates.length - 1]!)).toThrow(/title/);
    expect(() => store.validateMerge('doc-b', clashUpdates[clashUpdates.length - 1]!)).not.toThrow();
  });

  it('a bad command that still reaches apply is skipped the same way on every node', () => {
    const stores = [new DocumentStore(), new DocumentStore()];
    const [u] = concurrentUpdates();
    const entries = [merge('ok', 'doc-a', u!), merge('bad', 'doc-a', Uint8Array.of(1, 2, 3)), Uint8Array.of(7, 7)];
    const outcomes = stores.map((s) => entries.map((e, k) => s.apply(asIndex(k + 1), e).kind));
    expect(outcomes).toEqual([
      ['merged', 'skipped', 'skipped'],
      ['merged', 'skipped', 'skipped'],
    ]);
    expect(stores[0]!.encodeSnapshot()).toEqual(stores[1]!.encodeSnapshot());
  });

  it('snapshot round trip: same documents, same bytes, same field types', () => {
    const store = new DocumentStore();
    const updates = concurrentUpdates();
    applyAll(store, [...updates.map((u, k) => merge(`a${k}`, 'doc-a', u)), merge('b', 'doc-b', updates[0]!)]);
    const bytes = store.encodeSnapshot();
    const restored = DocumentStore.fromSnapshot(bytes);
    expect(restored.encodeSnapshot()).toEqual(bytes);
    expect(restored.appliedIndex).toBe(store.appliedIndex);
    expect(restored.list()).toEqual(store.list());
    expect(restored.get(docB)!.state).toEqual(store.get(docB)!.state);
    const clash = new Doc({ replicaId: 9 });
    const clashUpdates: Uint8Array[] = [];
    clash.on('update', (u) => clashUpdates.push(u));
    clash.getCounter('body').add(1);
    expect(() => restored.validateMerge('doc-a', clashUpdates[clashUpdates.length - 1]!)).toThrow(InvalidUpdateError);
    expect(DocumentStore.fromSnapshot(new Uint8Array(0)).list()).toEqual([]);
    expect(() => DocumentStore.fromSnapshot(bytes.subarray(0, bytes.length - 1))).toThrow(StoreSnapshotError);
  });

  it('command codec: round trip (version 1 without fields, version 2 with); bad bytes are CommandDecodeError', () => {
    const command = { kind: 'merge' as const, requestId: '1.ab.3', docId: docA, update: Uint8Array.of(1, 2) };
    expect(encodeCommand(command)[0]).toBe(1);
    expect(decodeCommand(encodeCommand(command))).toEqual(command);
    const withFields = { ...command, fields: [{ name: 'body', kind: 'text' as const }, { name: 'n', kind: 'counter' as const }] };
    expect(encodeCommand(withFields)[0]).toBe(2);
    expect(decodeCommand(encodeCommand(withFields))).toEqual(withFields);
    const badKind = encodeCommand({ ...command, fields: [{ name: 'x', kind: 'text' }] });
    badKind[badKind.indexOf(0x78) + 1] = 99; // the kind byte after the field name "x"
    expect(() => decodeCommand(badKind)).toThrow(CommandDecodeError);
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 40 }), (bytes) => {
        try {
          decodeCommand(bytes);
        } catch (error) {
          expect(error).toBeInstanceOf(CommandDecodeError);
        }
      }),
      { seed, numRuns: 500 },
    );
  });
});
