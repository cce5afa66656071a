import { describe } from 'vitest';
import { Doc } from '../crdt';
import { defineSyncScenarios } from './scenarios';
import type { DocDriver } from './sim';
import { editBodyText } from '../crdt/doc-testing';

/** One local edit on the body text (an insert, sometimes a delete too), returning its update. */
const editText = (doc: Doc, label: string): Uint8Array => editBodyText(doc, label, 30, 4);

const docDriver: DocDriver<Doc> = {
  create: (replica) => new Doc({ replicaId: replica }),
  edit: editText,
  fingerprint: (doc) => JSON.stringify({ json: doc.toJSON(), sv: [...doc.stateVector()].sort(), pending: doc.pendingCount() }),
};

describe('sync scenarios (lib/crdt Doc)', () => {
  defineSyncScenarios(docDriver);
});
