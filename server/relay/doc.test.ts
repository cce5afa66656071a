import { describe } from 'vitest';
import { Doc } from '../../lib/crdt';
import { docFactory } from './doc-factory';
import { defineRelaySuite, type RelaySuiteDriver } from './relay-suite';
import { editBodyText } from '../../lib/crdt/doc-testing';

/** One local edit on the body text (an insert, sometimes a delete too), returning its update. */
const editText = (doc: Doc, label: string): Uint8Array => editBodyText(doc, label, 40, 3);

export const docDriver: RelaySuiteDriver<Doc> = {
  factory: docFactory,
  create: (replica) => new Doc({ replicaId: replica }),
  edit: editText,
  fingerprint: (doc) => JSON.stringify({ json: doc.toJSON(), sv: [...doc.stateVector()].sort(), pending: doc.pendingCount() }),
};

describe('relay over real sockets (lib/crdt Doc rooms)', () => {
  defineRelaySuite(docDriver);
});
