/**
 * The relay with a `MemoryPersistence` over real sockets: acknowledged edits survive a relay that
 * is dropped without draining (a crash as far as the store is concerned); a load failure refuses
 * the client with `unavailable` (4503) and the next join retries; updates reach the store in
 * batches; acks stop while the store is down and resume, with nothing lost, when it is back;
 * `/docs` lists stored documents.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { Doc } from '../../lib/crdt';
import { ErrorCode } from '../../lib/sync/errors';
import { CloseCode, parseDocId } from '../../lib/sync/protocol';
import { docFactory } from './doc-factory';
import { Typist, missingTokens, pollUntil } from './durability-kit';
import { MemoryPersistence } from './persistence';
import { startRelay, type RunningRelay } from './server';
import { RawClient, SyncClient } from './test-client';

const docId = parseDocId('persisted');
const relays: RunningRelay<Doc>[] = [];
const typists: Typist[] = [];

afterEach(async () => {
  await Promise.all(typists.splice(0).map((typist) => typist.disconnect()));
  await Promise.all(relays.splice(0).map((relay) => relay.close()));
});

async function relayOn(persistence: MemoryPersistence): Promise<RunningRelay<Doc>> {
  const relay = await startRelay({ docs: docFactory, persistence, closeGraceMs: 200, drainTimeoutMs: 0 });
  relays.push(relay);
  return relay;
}

function typist(name: string, replica: number): Typist {
  const created = new Typist(name, replica, docId);
  typists.push(created);
  return created;
}

/** What a brand-new client sees after joining through `relay`. */
async function freshView(relay: RunningRelay<Doc>): Promise<string> {
  const client = new SyncClient(new Doc({ replicaId: 999 }), docId, `${relay.url}/doc/${docId}`, 'fresh');
  await client.connect();
  const text = client.doc.getText('body').toString();
  await client.disconnect();
  return text;
}

describe('relay with persistence (memory store)', () => {
  it('every acknowledged edit survives losing the relay; the next relay loads the document before answering', async () => {
    const store = new MemoryPersistence();
    const first = await relayOn(store);
    const alice = typist('alice', 11);
    const bob = typist('bob', 22);
    await alice.connect(first.url);
    await bob.connect(first.url);
    for (let k = 0; k < 20; k++) (k % 2 === 0 ? alice : bob).type(`<${k}>`);
    await alice.waitFor(() => alice.allAcknowledged(), 'all acked');
    await bob.waitFor(() => bob.allAcknowledged(), 'all acked');
    expect(store.merges.length).toBeLessThan(20); // batched

    // Edits after the last ack may be lost with the relay; hold the store so none is acknowledged.
    store.hold();
    alice.type('<unacked>');
    await pollUntil(() => store.merges.length > 0 && first.persister!.unacknowledged(docId) > 0, 'the edit in flight');
    relays.splice(relays.indexOf(first), 1);
    store.available = false;
    store.release();
    await first.close();
    store.available = true;

    const second = await relayOn(store);
    const loadsBefore = store.loads;
    const text = await freshView(second);
    expect(store.loads).toBe(loadsBefore + 1);
    expect(missingTokens(text, [...alice.acknowledged, ...bob.acknowledged])).toEqual([]);
    expect(alice.acknowledged.has('<unacked>')).toBe(false);

    // Alice reconnects: her handshake re-sends what the store lacks, and it is acknowledged.
    await alice.connect(second.url);
    await alice.waitFor(() => alice.allAcknowledged(), 'the unacked edit acked after reconnecting');
    expect(store.docs.get(docId)!.getText('body').toString()).toContain('<unacked>');
  });

  it('a failed load refuses the client with unavailable (4503); the next join loads again', async () => {
    const store = new MemoryPersistence();
    store.available = false;
    const relay = await relayOn(store);
    const raw = await RawClient.open(`${relay.url}/doc/${docId}`);
    raw.send({ type: 'hello', version: 1, docId, stateVector: new Doc().encodeStateVector(), clientName: null });
    const closed = await raw.closed();
    expect(closed.code).toBe(CloseCode.unavailable);
    expect(raw.messages[0]).toMatchObject({ type: 'error', code: ErrorCode.unavailable });
    store.available = true;
    const alice = typist('alice', 1);
    await alice.connect(relay.url);
    expect(store.loads).toBe(2);
  });

  it('acks stop while the store is down and resume when it is back, with nothing dropped', async () => {
    const store = new MemoryPersistence();
    const relay = await relayOn(store);
    const alice = typist('alice', 5);
    await alice.connect(relay.url);
    alice.type('a1');
    await alice.waitFor(() => alice.allAcknowledged(), 'first ack');
    store.available = false;
    for (let k = 2; k <= 6; k++) alice.type(`a${k}`);
    await pollUntil(() => store.merges.length >= 4, 'failed merges');
    expect(alice.acknowledged.size).toBe(1);
    store.available = true;
    await alice.waitFor(() => alice.allAcknowledged(), 'acks after recovery', 10_000);
    expect(store.docs.get(docId)!.getText('body').toString()).toBe('a1a2a3a4a5a6');
  });

  it('a joiner gets the durable vector right after sync; /docs lists stored documents no one has opened', async () => {
    const store = new MemoryPersistence();
    const other = new Doc({ replicaId: 3 });
    other.getText('body').insert(0, 'stored elsewhere');
    store.docs.set(parseDocId('elsewhere'), other);
    const relay = await relayOn(store);
    const alice = typist('alice', 7);
    await alice.connect(relay.url);
    alice.type('x');
    await alice.waitFor(() => alice.allAcknowledged(), 'ack');
    const bob = new SyncClient(new Doc({ replicaId: 8 }), docId, `${relay.url}/doc/${docId}`, 'bob');
    await bob.connect();
    await bob.waitFor(() => bob.session.durableStateVector !== null, 'an ack after sync');
    await bob.disconnect();
    const listing = (await (await fetch(`${relay.httpUrl}/docs`)).json()) as { docs: { id: string; clients: number }[] };
    expect(listing.docs.map((d) => d.id)).toEqual(['elsewhere', 'persisted']);
  });

  it('an empty room leaves memory only once its edits are durable; the next join loads it again', async () => {
    const store = new MemoryPersistence();
    const relay = await startRelay({ docs: docFactory, persistence: store, closeGraceMs: 200, drainTimeoutMs: 0, roomIdleMs: 50 });
    relays.push(relay);
    const alice = typist('alice', 31);
    await alice.connect(relay.url);
    alice.type('kept');
    await alice.waitFor(() => alice.allAcknowledged(), 'ack');
    store.hold();
    alice.type(' held');
    await pollUntil(() => relay.persister!.unacknowledged(docId) > 0, 'the edit in flight');
    await alice.disconnect();
    // Empty, but an accepted edit is not durable yet: the room must stay (its copy is the only one).
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(relay.rooms.core.rooms().map((room) => room.docId)).toEqual([docId]);
    store.release();
    await pollUntil(() => relay.rooms.core.rooms().length === 0, 'the idle room dropped');
    const health = (await (await fetch(`${relay.httpUrl}/health`)).json()) as { rooms: number; stats: { roomsEvicted: number } };
    expect(health).toMatchObject({ rooms: 0, stats: { roomsEvicted: 1 } });
    // The listing still describes it.
    const listing = (await (await fetch(`${relay.httpUrl}/docs`)).json()) as { docs: { id: string; clients: number; textLength: number | null }[] };
    expect(listing.docs).toEqual([expect.objectContaining({ id: docId, clients: 0, textLength: 'kept held'.length })]);
    const loads = store.loads;
    expect(await freshView(relay)).toBe('kept held');
    expect(store.loads).toBe(loads + 1);
  });
});
