/**
 * RelayCore with persistence: a room's document is loaded before its first join is answered
 * (joiners and their frames wait, in order), a failed load refuses the waiters with `unavailable`
 * and the next hello retries, accepted updates are reported for persisting, and durable vectors
 * reach every member (and later joiners) as `ack`.
 */
import { describe, expect, it } from 'vitest';
import { Doc } from '../crdt';
import { decodeMessage, encodeMessage } from './codec';
import { ErrorCode } from './errors';
import { CloseCode, hello, parseDocId, type Message } from './protocol';
import { MAX_FRAMES_WHILE_LOADING, RelayCore } from './relay';
import { asPeerId, type RoomOutput } from './room';

const docId = parseDocId('durable-doc');
const alice = asPeerId(1);
const bob = asPeerId(2);

function core(): RelayCore<Doc> {
  const relay = new RelayCore<Doc>({ createDoc: () => new Doc(), persistence: true });
  relay.connect(alice);
  relay.connect(bob);
  return relay;
}

function sentTo(outputs: RoomOutput[], peer: number): Message[] {
  return outputs.flatMap((output) => (output.type === 'send' && output.to === peer ? [decodeMessage(output.frame)] : []));
}

function helloFrame(doc: Doc): Uint8Array {
  return encodeMessage(hello(docId, doc.encodeStateVector(), null));
}

/** A stored document holding `text` in its body, written by replica 77. */
function stored(text: string): Doc {
  const doc = new Doc({ replicaId: 77 });
  doc.getText('body').insert(0, text);
  return doc;
}

describe('RelayCore with persistence', () => {
  it('answers no hello before the document is loaded; joiners and their frames wait in order, then join the loaded state', () => {
    const relay = core();
    const a = new Doc({ replicaId: 1 });
    expect(relay.receive(alice, helloFrame(a))).toEqual([{ type: 'load', docId }]);
    expect(relay.receive(bob, helloFrame(new Doc({ replicaId: 2 })))).toEqual([]); // one load per document
    a.getText('body').insert(0, 'early ');
    const early = encodeMessage({ type: 'update', update: a.encode() });
    expect(relay.receive(alice, early)).toEqual([]);
    expect(relay.docOf(docId)).toBeUndefined();

    const group = stored('stored text');
    const outputs = relay.completeLoad(docId, group.encode(), group.encodeStateVector());
    const toAlice = sentTo(outputs, alice);
    expect(toAlice.map((m) => m.type)).toEqual(['sync', 'ack']);
    // Alice joins and her frames replay before Bob joins, so Bob's sync already holds her update.
    const toBob = sentTo(outputs, bob);
    expect(toBob.map((m) => m.type)).toEqual(['sync', 'ack']);
    const bobSeen = new Doc();
    if (toBob[0]!.type === 'sync') bobSeen.apply(toBob[0]!.update);
    expect(bobSeen.getText('body').toString()).toContain('early ');
    const sync = toAlice[0]!;
    if (sync.type !== 'sync') throw new Error('expected sync');
    const seen = new Doc();
    seen.apply(sync.update);
    expect(seen.getText('body').toString()).toBe('stored text');
    expect(relay.docOf(docId)!.getText('body').toString()).toContain('early ');
    expect(outputs.filter((o) => o.type === 'persist')).toHaveLength(1);
  });

  it('a failed load refuses every waiter with unavailable (close 4503); the next hello loads again', () => {
    const relay = core();
    relay.receive(alice, helloFrame(new Doc()));
    relay.receive(bob, helloFrame(new Doc()));
    const outputs = relay.failLoad(docId, 'group down');
    for (const peer of [alice, bob]) {
      const [error] = sentTo(outputs, peer);
      expect(error).toMatchObject({ type: 'error', code: ErrorCode.unavailable });
      expect(outputs).toContainEqual(expect.objectContaining({ type: 'close', peer, code: CloseCode.unavailable }));
    }
    const carol = asPeerId(3);
    relay.connect(carol);
    expect(relay.receive(carol, helloFrame(new Doc()))).toEqual([{ type: 'load', docId }]);
    expect(relay.completeLoad(docId, null, null).map((o) => o.type)).toEqual(['send']); // sync only, no durable vector yet
  });

  it('a stored state the document rejects fails the load instead of half-creating the room', () => {
    const relay = core();
    relay.receive(alice, helloFrame(new Doc()));
    const outputs = relay.completeLoad(docId, new Uint8Array([255, 255, 255]), null);
    expect(sentTo(outputs, alice)[0]).toMatchObject({ type: 'error', code: ErrorCode.unavailable });
    expect(relay.docOf(docId)).toBeUndefined();
  });

  it('a peer that disconnects while waiting is not answered; a waiter flooding frames is refused', () => {
    const relay = core();
    relay.receive(alice, helloFrame(new Doc()));
    relay.receive(bob, helloFrame(new Doc()));
    relay.disconnect(alice);
    const frame = encodeMessage({ type: 'awareness', entries: [] });
    let refused: RoomOutput[] = [];
    for (let k = 0; k <= MAX_FRAMES_WHILE_LOADING && refused.length === 0; k++) refused = relay.receive(bob, frame);
    expect(sentTo(refused, bob)[0]).toMatchObject({ type: 'error', code: ErrorCode.unexpectedMessage });
    expect(relay.completeLoad(docId, null, null)).toEqual([]);
  });

  it('accepted updates are reported as persist outputs (before the fan-out); acknowledge sends ack to every member and to later joiners', () => {
    const relay = core();
    relay.receive(alice, helloFrame(new Doc()));
    relay.completeLoad(docId, null, null);
    relay.receive(bob, helloFrame(new Doc()));
    const a = new Doc({ replicaId: 5 });
    a.getText('body').insert(0, 'hi');
    const update = a.encode();
    const outputs = relay.receive(alice, encodeMessage({ type: 'update', update }));
    expect(outputs[0]).toEqual({ type: 'persist', docId, update });
    expect(sentTo(outputs, bob).map((m) => m.type)).toEqual(['update']);
    // A rejected update is not persisted.
    expect(relay.receive(bob, encodeMessage({ type: 'update', update: new Uint8Array([9, 9, 9]) })).some((o) => o.type === 'persist')).toBe(false);

    const acks = relay.acknowledge(docId, a.encodeStateVector());
    expect(sentTo(acks, alice)).toEqual([{ type: 'ack', stateVector: a.encodeStateVector() }]);
    const carol = asPeerId(3);
    relay.connect(carol);
    const joined = relay.receive(carol, helloFrame(new Doc()));
    expect(sentTo(joined, carol).map((m) => m.type)).toEqual(['sync', 'ack']);
  });

  it('without persistence nothing changes: rooms are created at once and no persist outputs appear', () => {
    const relay = new RelayCore<Doc>({ createDoc: () => new Doc() });
    relay.connect(alice);
    expect(sentTo(relay.receive(alice, helloFrame(new Doc())), alice).map((m) => m.type)).toEqual(['sync']);
    const a = new Doc({ replicaId: 5 });
    a.getText('body').insert(0, 'x');
    expect(relay.receive(alice, encodeMessage({ type: 'update', update: a.encode() }))).toEqual([]);
  });

  it('evicts only a room nobody is in and that is not loading; the next hello loads it again', () => {
    const relay = core();
    expect(relay.evict(docId)).toBe(false); // no such room
    relay.receive(alice, helloFrame(new Doc({ replicaId: 1 })));
    expect(relay.evict(docId)).toBe(false); // loading
    relay.completeLoad(docId, stored('kept').encode(), null);
    expect(relay.evict(docId)).toBe(false); // alice is in it
    relay.disconnect(alice);
    expect(relay.evict(docId)).toBe(true);
    expect(relay.docOf(docId)).toBeUndefined();
    expect(relay.rooms()).toEqual([]);
    // Bob's hello asks for a fresh load and joins what the store holds.
    expect(relay.receive(bob, helloFrame(new Doc({ replicaId: 2 })))).toEqual([{ type: 'load', docId }]);
    relay.completeLoad(docId, stored('kept').encode(), null);
    expect(relay.docOf(docId)!.getText('body').toString()).toBe('kept');
  });
});
