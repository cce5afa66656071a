import { describe } from 'vitest';
import { LogDoc } from '../../lib/sync/log-doc';
import { defineRelaySuite, type RelaySuiteDriver } from './relay-suite';

const logDocDriver: RelaySuiteDriver<LogDoc> = {
  factory: { create: () => new LogDoc(0), textLength: (doc) => doc.values().join('').length },
  create: (replica) => new LogDoc(replica),
  edit: (doc, label) => doc.add(label),
  fingerprint: (doc) => JSON.stringify({ values: doc.values(), sv: [...doc.stateVectorMap()].sort(), pending: doc.pendingCount() }),
};

describe('relay over real sockets (LogDoc rooms)', () => {
  defineRelaySuite(logDocDriver);
});
