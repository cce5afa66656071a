import { describe } from 'vitest';
import { Doc } from '../crdt';
import { defineSyncScenarios } from './scenarios';
import type { DocDriver } from './sim';

/** One local edit on the body text (an insert, sometimes a delete too), returning its update. */
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
      if (text.length > 30 && hash % 3 === 0) text.delete(hash % (text.length - 5), 4);
    });
  } finally {
    off();
  }
  if (update === null) throw new Error('the edit produced no update');
  return update;
}

const docDriver: DocDriver<Doc> = {
  create: (replica) => new Doc({ replicaId: replica }),
  edit: editText,
  fingerprint: (doc) => JSON.stringify({ json: doc.toJSON(), sv: [...doc.stateVector()].sort(), pending: doc.pendingCount() }),
};

describe('sync scenarios (lib/crdt Doc)', () => {
  defineSyncScenarios(docDriver);
});
