/**
 * The `DocumentPersistence` contract suite: every implementation (MemoryPersistence, and
 * RaftPersistence against a real group) must pass it. See the contract in persistence.ts.
 */
import { expect, it } from 'vitest';
import { Doc, decodeStateVector } from '../../lib/crdt';
import { parseDocId } from '../../lib/sync/protocol';
import { PersistenceRejectedError, type DocumentPersistence } from './persistence';

/** One update per call: `text` appended to `doc`'s body. */
function append(doc: Doc, text: string): Uint8Array {
  let update: Uint8Array | null = null;
  const off = doc.on('update', (bytes: Uint8Array) => {
    update = bytes;
  });
  doc.transact(() => doc.getText('body').insert(doc.getText('body').length, text));
  off();
  return update!;
}

/** Registers the contract tests; `persistence()` gives the implementation under test. */
export function definePersistenceSuite(persistence: () => DocumentPersistence, prefix: string): void {
  it('an unknown document loads as nothing stored', async () => {
    expect(await persistence().load(parseDocId(`${prefix}-unknown`))).toEqual({ state: null, stateVector: null });
  });

  it('merge resolves with a vector covering the update; load returns the merged state and its vector', async () => {
    const docId = parseDocId(`${prefix}-merge`);
    const writer = new Doc({ replicaId: 41 });
    const first = await persistence().merge(docId, append(writer, 'hello '));
    const second = await persistence().merge(docId, append(writer, 'world'));
    expect(decodeStateVector(first).get(writer.replicaId)).toBe(6);
    expect(decodeStateVector(second).get(writer.replicaId)).toBe(11);
    const stored = await persistence().load(docId);
    expect(Doc.load(stored.state!).getText('body').toString()).toBe('hello world');
    expect(stored.stateVector).toEqual(second);
  });

  it('merging the same update twice changes nothing (retries are harmless)', async () => {
    const docId = parseDocId(`${prefix}-idempotent`);
    const update = append(new Doc({ replicaId: 42 }), 'once');
    const a = await persistence().merge(docId, update);
    const b = await persistence().merge(docId, update);
    expect(b).toEqual(a);
    expect(Doc.load((await persistence().load(docId)).state!).getText('body').toString()).toBe('once');
  });

  it('an update that clashes with a stored field type is rejected for good', async () => {
    const docId = parseDocId(`${prefix}-clash`);
    await persistence().merge(docId, append(new Doc({ replicaId: 43 }), 'text'));
    const clash = new Doc({ replicaId: 44 });
    let update: Uint8Array | null = null;
    clash.on('update', (bytes: Uint8Array) => {
      update = bytes;
    });
    clash.transact(() => clash.getMap('body').set('k', 1));
    await expect(persistence().merge(docId, update!)).rejects.toBeInstanceOf(PersistenceRejectedError);
  });

  it('list holds every stored document, sorted', async () => {
    const ids = await persistence().list();
    expect(ids).toEqual([...ids].sort());
    expect(ids).toEqual(expect.arrayContaining([`${prefix}-merge`, `${prefix}-idempotent`]));
  });
}
