import { describe, expect, it } from 'vitest';
import { Doc } from '../crdt';
import type { AwarenessEntry } from '../sync/protocol';
import { anchorAt, resolveAnchor, resolvePeerCarets, selectionToCursor } from './presence';

const REMOTE = Symbol('remote');

describe('presence: carets anchored to character ids', () => {
  it('a remote caret stays on the same character while the text before it changes', () => {
    const alice = new Doc({ replicaId: 1 });
    const bob = new Doc({ replicaId: 2 });
    alice.on('update', (update, origin) => origin !== REMOTE && bob.apply(update, REMOTE));
    bob.on('update', (update, origin) => origin !== REMOTE && alice.apply(update, REMOTE));
    alice.getText('body').insert(0, 'hello world');
    // Bob's caret is before "world".
    const cursor = selectionToCursor(bob.getText('body'), 'body', 6, 6, 'none');
    alice.getText('body').insert(0, '>> ');
    alice.getText('body').delete(3, 6); // "hello " removed
    const text = alice.getText('body');
    expect(text.toString()).toBe('>> world');
    expect(resolveAnchor(text, cursor.head)).toBe(3);
  });

  it('the end of the text is a null anchor and resolves to the current end', () => {
    const doc = new Doc({ replicaId: 1 });
    const text = doc.getText('body');
    text.insert(0, 'abc');
    expect(anchorAt(text, 3)).toBeNull();
    text.insert(3, 'def');
    expect(resolveAnchor(text, null)).toBe(6);
  });

  it('resolves peers in the field, skipping unknown characters and other fields', () => {
    const doc = new Doc({ replicaId: 1 });
    const text = doc.getText('body');
    text.insert(0, 'abcdef');
    const range = selectionToCursor(text, 'body', 1, 4, 'backward');
    const peers = new Map<number, AwarenessEntry>([
      [7, { clientId: 7, clock: 1, state: { name: 'Ann', color: '#ff0000', cursor: range } }],
      [8, { clientId: 8, clock: 1, state: { name: 'Ben', color: 'url(x)', cursor: { field: 'body', anchor: null, head: { replica: 99, clock: 0 } } } }],
      [9, { clientId: 9, clock: 1, state: { name: 'Cy', color: '#00ff00', cursor: { field: 'title', anchor: null, head: null } } }],
      [10, { clientId: 10, clock: 1, state: { name: 'Di', color: 'javascript:1', cursor: { field: 'body', anchor: null, head: null } } }],
    ]);
    expect(resolvePeerCarets(text, 'body', peers)).toEqual([
      { clientId: 7, name: 'Ann', color: '#ff0000', head: 1, start: 1, end: 4 },
      { clientId: 10, name: 'Di', color: '#64748b', head: 6, start: 6, end: 6 },
    ]);
  });
});
