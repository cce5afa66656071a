/**
 * The app's real connection module (lib/client/connection.ts) against a real relay: the contract
 * between the browser side and the relay, checked over real sockets with the `ws` client standing
 * in for the browser WebSocket.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { Doc } from '../../lib/crdt';
import { Connection, REMOTE_ORIGIN, type ConnectionEnvironment, type SocketLike } from '../../lib/client/connection';
import { createRandom } from '../../lib/sync/sim';
import { parseDocId } from '../../lib/sync/protocol';
import { docFactory } from './doc-factory';
import { startRelay, type RunningRelay } from './server';
import { waitUntil } from './test-client';
import type { Doc as DocType } from '../../lib/crdt';

const docId = parseDocId('app-client');
const relays: RunningRelay<DocType>[] = [];
const connections: Connection[] = [];

afterEach(async () => {
  for (const connection of connections.splice(0)) connection.stop();
  await Promise.all(relays.splice(0).map((relay) => relay.close()));
});

function environment(seed: number): ConnectionEnvironment {
  return {
    createSocket: (url) => new WebSocket(url) as unknown as SocketLike,
    setTimeout: (callback, ms) => setTimeout(callback, ms),
    clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
    random: createRandom(seed),
    now: () => Date.now(),
    network: { isOnline: () => true, subscribe: () => () => {} },
  };
}

/** A doc + app connection, wired like the editor: local updates go to the connection. */
function openEditor(relay: RunningRelay<DocType>, replicaId: number, name: string): { doc: Doc; connection: Connection } {
  const doc = new Doc({ replicaId });
  const connection = new Connection(
    { docId, urls: [relay.url], doc, clientId: replicaId, clientName: name, backoff: { baseMs: 20, maxMs: 100, factor: 2, jitter: 0.5 } },
    environment(replicaId),
  );
  doc.on('update', (update: Uint8Array, origin: unknown) => {
    if (origin !== REMOTE_ORIGIN) connection.sendLocalUpdate(update);
  });
  connections.push(connection);
  connection.start();
  return { doc, connection };
}

/** Waits for `check`, re-checked on relay activity, connection changes and document changes. */
function until(relay: RunningRelay<DocType>, editors: { doc: Doc; connection: Connection }[], check: () => boolean, what: string): Promise<void> {
  return waitUntil(
    (wake) => {
      const offs = [
        relay.onActivity(wake),
        ...editors.map((editor) => editor.connection.subscribe(wake)),
        ...editors.map((editor) => editor.doc.on('change', wake)),
      ];
      return () => offs.forEach((off) => off());
    },
    check,
    what,
    20_000, // generous: event-driven, so only a loaded machine ever gets near it
  );
}

describe('lib/client Connection against the relay', () => {
  it('two app connections go live, exchange text edits and presence, and converge with the relay', async () => {
    const relay = await startRelay({ docs: docFactory });
    relays.push(relay);
    const alice = openEditor(relay, 1, 'Alice');
    const bob = openEditor(relay, 2, 'Bob');
    await until(relay, [alice, bob], () => alice.connection.getSnapshot().status === 'live' && bob.connection.getSnapshot().status === 'live', 'both live');

    alice.doc.getText('body').insert(0, 'Hello');
    bob.doc.getText('body').insert(0, 'World ');
    const text = (doc: Doc) => doc.getText('body').toString();
    await until(relay, [alice, bob], () => text(alice.doc).length === 11 && text(alice.doc) === text(bob.doc), 'texts to converge');
    expect(relay.rooms.doc(docId)!.getText('body').toString()).toBe(text(alice.doc));

    alice.connection.setPresence({ name: 'Alice', color: '#e91e63', cursor: { field: 'body', anchor: null, head: null } });
    await until(relay, [alice, bob], () => bob.connection.getSnapshot().peers.get(1)?.state?.name === 'Alice', 'bob to see alice');
    alice.connection.stop();
    await until(relay, [bob], () => !bob.connection.getSnapshot().peers.has(1), 'alice to leave');
  });

  it('a relay that is killed and restarted on the same port is repopulated by the reconnecting clients', async () => {
    const first = await startRelay({ docs: docFactory, closeGraceMs: 100 });
    relays.push(first);
    const alice = openEditor(first, 1, 'Alice');
    const bob = openEditor(first, 2, 'Bob');
    const text = (doc: Doc) => doc.getText('body').toString();
    await until(first, [alice, bob], () => alice.connection.getSnapshot().status === 'live' && bob.connection.getSnapshot().status === 'live', 'both live');
    alice.doc.getText('body').insert(0, 'before crash');
    await until(first, [alice, bob], () => text(bob.doc) === 'before crash', 'bob to see the edit');

    await first.close();
    await until(first, [alice, bob], () => alice.connection.getSnapshot().status !== 'live' && bob.connection.getSnapshot().status !== 'live', 'both to notice');
    bob.doc.getText('body').insert(0, 'offline ');

    const second = await startRelay({ docs: docFactory, port: first.port });
    relays.push(second);
    await until(second, [alice, bob], () => text(alice.doc) === 'offline before crash' && text(bob.doc) === text(alice.doc), 'clients to reconnect and converge');
    await until(second, [alice, bob], () => second.rooms.doc(docId)?.getText('body').toString() === 'offline before crash', 'the new relay to hold the document');
    expect(alice.connection.getSnapshot().handshakes).toBeGreaterThanOrEqual(2);
  });
});
