import { describe } from 'vitest';
import { Doc } from '../../lib/crdt';
import { docFactory } from './doc-factory';
import { defineRelaySuite, type RelaySuiteDriver } from './relay-suite';

/** Inserts `label` at a position derived from the label, so concurrent edits interleave in the text. */
function editText(doc: Doc, label: string): Uint8Array {
  let update: Uint8Array | null = null;
  const off = doc.on('update', (bytes: Uint8Array) => {
    update = bytes;
  });
  try {
    const text = doc.getText('body');
    let hash = 0;
    for (const char of label) hash = (hash * 31 + char.charCodeAt(0)) >>> 0;
    doc.transact(() => {
      text.insert(hash % (text.length + 1), label);
      if (text.length > 40 && hash % 3 === 0) text.delete(hash % (text.length - 5), 3);
    });
  } finally {
    off();
  }
  if (update === null) throw new Error('the edit produced no update');
  return update;
}

export const docDriver: RelaySuiteDriver<Doc> = {
  factory: docFactory,
  create: (replica) => new Doc({ replicaId: replica }),
  edit: editText,
  fingerprint: (doc) => JSON.stringify({ json: doc.toJSON(), sv: [...doc.stateVector()].sort(), pending: doc.pendingCount() }),
};

describe('relay over real sockets (lib/crdt Doc rooms)', () => {
  defineRelaySuite(docDriver);
});
