import { describe, expect, it } from 'vitest';
import { asReplicaId } from '../clock';
import { Doc } from '../crdt';
import { countUnsavedEdits, describeDurability } from './durability';

describe('countUnsavedEdits (own clock vs the durable vector)', () => {
  it('counts this replica’s clock units the durable vector does not cover', () => {
    const doc = new Doc({ replicaId: 7 });
    doc.transact(() => doc.getText('body').insert(0, 'hello'));
    expect(countUnsavedEdits(doc.stateVector(), null, asReplicaId(7))).toBe(5);
    const durable = doc.encodeStateVector();
    expect(countUnsavedEdits(doc.stateVector(), durable, asReplicaId(7))).toBe(0);
    doc.transact(() => doc.getText('body').insert(5, '!!'));
    doc.transact(() => doc.getRegister('title').set('T'));
    expect(countUnsavedEdits(doc.stateVector(), durable, asReplicaId(7))).toBe(3);
  });

  it('ignores other replicas’ operations, in both vectors', () => {
    const mine = new Doc({ replicaId: 1 });
    const theirs = new Doc({ replicaId: 2 });
    theirs.transact(() => theirs.getText('body').insert(0, 'abc'));
    mine.apply(theirs.encode());
    expect(countUnsavedEdits(mine.stateVector(), null, asReplicaId(1))).toBe(0);
    mine.transact(() => mine.getText('body').insert(0, 'x'));
    expect(countUnsavedEdits(mine.stateVector(), theirs.encodeStateVector(), asReplicaId(1))).toBe(1);
  });

  it('a durable vector ahead of the local one (another tab, a restored copy) or undecodable bytes never go negative or throw', () => {
    const doc = new Doc({ replicaId: 3 });
    const ahead = new Doc({ replicaId: 3 });
    ahead.transact(() => ahead.getText('body').insert(0, 'long text'));
    doc.transact(() => doc.getText('body').insert(0, 'x'));
    expect(countUnsavedEdits(doc.stateVector(), ahead.encodeStateVector(), asReplicaId(3))).toBe(0);
    expect(countUnsavedEdits(doc.stateVector(), new Uint8Array([255, 255]), asReplicaId(3))).toBe(1);
  });

  it('describes the count', () => {
    expect(describeDurability(0)).toBe('all changes saved');
    expect(describeDurability(1)).toBe('1 edit not yet saved');
    expect(describeDurability(2)).toBe('2 edits not yet saved');
  });
});
