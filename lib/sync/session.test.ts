import { describe, expect, it } from 'vitest';
import { LogDoc } from './log-doc';
import { parseDocId } from './protocol';
import { defineSyncScenarios } from './scenarios';
import { SessionPhase, createSession, stepSession } from './session';
import type { DocDriver } from './sim';

const logDocDriver: DocDriver<LogDoc> = {
  create: (replica) => new LogDoc(replica),
  edit: (doc, label) => doc.add(label),
  fingerprint: (doc) => JSON.stringify({ values: doc.values(), sv: [...doc.stateVectorMap()].sort(), pending: doc.pendingCount() }),
};

describe('sync scenarios (LogDoc)', () => {
  defineSyncScenarios(logDocDriver);
});

describe('session state machine', () => {
  const docId = parseDocId('unit');

  it('sends nothing for local updates unless live (offline edits travel with the handshake)', () => {
    const doc = new LogDoc(1);
    let state = createSession(docId);
    for (const phase of ['disconnected', 'connecting', 'syncing'] as const) {
      state = { ...state, phase };
      const step = stepSession(state, { type: 'local-update', update: doc.add('x') }, doc);
      expect(step.send, phase).toEqual([]);
    }
    state = { ...state, phase: SessionPhase.live };
    expect(stepSession(state, { type: 'local-update', update: doc.add('y') }, doc).send).toHaveLength(1);
  });

  it('ignores frames that arrive while disconnected (stale socket)', () => {
    const doc = new LogDoc(1);
    const state = createSession(docId);
    const step = stepSession(state, { type: 'received', frame: new Uint8Array([99]) }, doc);
    expect(step).toEqual({ state, send: [], effects: [] });
  });

  it('refuses a sync whose state vector the document rejects (badUpdate, close 4422)', () => {
    const doc = new LogDoc(1);
    let state = createSession(docId);
    state = stepSession(state, { type: 'connected' }, doc).state;
    const frame = new Uint8Array([2, 0, 3, 0xff, 0xff, 0xff]); // sync: empty update, garbage vector
    const step = stepSession(state, { type: 'received', frame }, doc);
    expect(step.send[0]).toMatchObject({ type: 'error', code: 4 });
    expect(step.effects).toContainEqual(expect.objectContaining({ type: 'close', code: 4422 }));
    expect(step.state.phase).toBe(SessionPhase.syncing);
  });

  it('is deterministic: the same event sequence gives the same outputs', () => {
    const run = () => {
      const doc = new LogDoc(3);
      let state = createSession(docId, 'n');
      const outputs: unknown[] = [];
      for (const event of [{ type: 'connecting' }, { type: 'connected' }, { type: 'disconnected' }] as const) {
        const step = stepSession(state, event, doc);
        state = step.state;
        outputs.push(step.send, step.effects);
      }
      return outputs;
    };
    expect(run()).toEqual(run());
  });
});
