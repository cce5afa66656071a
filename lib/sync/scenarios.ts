/**
 * The sync protocol's scenario suite, run against every `SyncDoc` implementation (`LogDoc` here,
 * `Doc` from lib/crdt in `doc-scenarios.test.ts`). Each scenario is a readable script with the
 * expected message trace where the order is the point.
 */
import { expect, it } from 'vitest';
import { encodeMessage } from './codec';
import { ErrorCode } from './errors';
import { parseDocId } from './protocol';
import type { SyncDoc } from './room';
import { SessionPhase } from './session';
import { connectedPair, SimNetwork, createRandom, type DocDriver } from './sim';

const docId = parseDocId('scenario-doc');

function expectConverged<D extends SyncDoc>(network: SimNetwork<D>, clients = network.clients): void {
  const relay = network.relayFingerprint();
  for (const client of clients) {
    expect(network.driver.fingerprint(client.doc), `${client.name} vs relay`).toBe(relay);
  }
}

/** Registers the scenarios for one document implementation. */
export function defineSyncScenarios<D extends SyncDoc>(driver: DocDriver<D>): void {
  it('handshake: hello → sync → update, then live (phase order connecting → syncing → live)', () => {
    const network = new SimNetwork(driver, docId);
    const alice = network.addClient('alice');
    network.connect(alice);
    expect(alice.session.phase).toBe(SessionPhase.syncing);
    network.flush();
    expect(network.trace).toEqual(['alice→relay:hello', 'relay→alice:sync', 'alice→relay:update']);
    expect(alice.session.phase).toBe(SessionPhase.live);
    expect(alice.effects.filter((e) => e.type === 'phase').map((e) => (e.type === 'phase' ? e.phase : ''))).toEqual([
      'connecting',
      'syncing',
      'live',
    ]);
    expect(alice.session.relayStateVector).not.toBeNull();
  });

  it('client behind: a joiner receives everything the relay has in its sync', () => {
    const network = new SimNetwork(driver, docId);
    const alice = network.addClient('alice');
    network.connect(alice);
    network.flush();
    for (let i = 0; i < 5; i++) alice.edit(`a${i}`);
    network.flush();
    const bob = network.addClient('bob');
    network.connect(bob);
    network.deliverToRelay(bob);
    network.deliverToClient(bob); // the sync alone brings bob up to date
    expect(driver.fingerprint(bob.doc)).toBe(network.relayFingerprint());
    network.flush();
    expectConverged(network);
  });

  it('relay behind: offline edits made before the first connection reach the relay and live peers', () => {
    const network = new SimNetwork(driver, docId);
    const bob = network.addClient('bob');
    network.connect(bob);
    network.flush();
    const alice = network.addClient('alice');
    for (let i = 0; i < 4; i++) alice.edit(`offline${i}`);
    expect(alice.toRelay).toHaveLength(0); // disconnected: nothing is sent
    network.connect(alice);
    network.flush();
    expect(network.trace.slice(-4)).toEqual(['alice→relay:hello', 'relay→alice:sync', 'alice→relay:update', 'relay→bob:update']);
    expectConverged(network);
  });

  it('both concurrent: client and relay each hold edits the other lacks; one handshake converges them', () => {
    const network = new SimNetwork(driver, docId);
    const alice = network.addClient('alice');
    const bob = network.addClient('bob');
    network.connect(bob);
    network.flush();
    bob.edit('from-bob-1');
    bob.edit('from-bob-2');
    alice.edit('from-alice-1');
    network.flush();
    network.connect(alice);
    network.flush();
    expectConverged(network);
  });

  it('reconnect after offline edits: edits made while disconnected are delivered by the next handshake', () => {
    const { network, alice, bob } = connectedPair(driver, docId);
    alice.edit('before');
    network.flush();
    network.disconnect(alice);
    expect(alice.session.phase).toBe(SessionPhase.disconnected);
    alice.edit('offline-1');
    bob.edit('while-alice-away');
    alice.edit('offline-2');
    network.flush();
    expect(driver.fingerprint(alice.doc)).not.toBe(network.relayFingerprint());
    network.connect(alice);
    network.flush();
    expectConverged(network);
    expect(alice.session.handshakes).toBe(2);
  });

  it('edits made while syncing are not sent twice: the post-sync diff carries them', () => {
    const network = new SimNetwork(driver, docId);
    const alice = network.addClient('alice');
    network.connect(alice);
    alice.edit('during-sync');
    expect(alice.toRelay).toHaveLength(1); // only the hello
    network.flush();
    expect(network.trace).toEqual(['alice→relay:hello', 'relay→alice:sync', 'alice→relay:update']);
    expectConverged(network);
  });

  it('duplicate and reordered updates converge (apply is idempotent and order-insensitive)', () => {
    const { network, alice, bob } = connectedPair(driver, docId);
    for (let i = 0; i < 6; i++) alice.edit(`x${i}`);
    // Move alice's updates through the relay, but hold bob's incoming frames.
    while (network.deliverToRelay(alice));
    const held = bob.fromRelay.splice(0);
    expect(held).toHaveLength(6);
    const shuffled = [...held].reverse();
    shuffled.splice(2, 0, held[3]!, held[0]!);
    for (const frame of shuffled) bob.step({ type: 'received', frame });
    expect(driver.fingerprint(bob.doc)).toBe(network.relayFingerprint());
    // Duplicates on the relay side too: re-send the same frames.
    const before = network.relayFingerprint();
    for (const frame of held) network.relay.receive(alice.peer, frame);
    expect(network.relayFingerprint()).toBe(before);
  });

  it('a client sending garbage is refused (error + close 4400); the room and the other clients are unharmed', () => {
    const network = new SimNetwork(driver, docId);
    const alice = network.addClient('alice');
    const bob = network.addClient('bob');
    const mallory = network.addClient('mallory');
    for (const client of [alice, bob, mallory]) network.connect(client);
    network.flush();
    alice.edit('kept');
    network.flush();
    const before = network.relayFingerprint();
    const outputs = network.relay.receive(mallory.peer, new Uint8Array([3, 200, 1, 2]));
    expect(outputs.map((o) => o.type)).toEqual(['send', 'close']);
    expect(outputs[1]).toMatchObject({ type: 'close', peer: mallory.peer, code: 4400 });
    // A well-framed update carrying bytes the document rejects: badUpdate, 4422, doc unchanged.
    const bad = network.relay.receive(bob.peer, encodeMessage({ type: 'update', update: new Uint8Array([0xff, 0xff, 0xff]) }));
    expect(bad[1]).toMatchObject({ type: 'close', peer: bob.peer, code: 4422 });
    expect(network.relayFingerprint()).toBe(before);
    expect(network.relay.roomOf(bob.peer)).toBeNull();
    // Alice keeps syncing with a re-joined bob.
    network.disconnect(bob);
    network.connect(bob);
    network.disconnect(mallory);
    alice.edit('after');
    network.flush();
    expectConverged(network, [alice, bob]);
    expect(driver.fingerprint(mallory.doc)).not.toBe(network.relayFingerprint());
  });

  it('an update before hello is refused as unexpectedMessage', () => {
    const network = new SimNetwork(driver, docId);
    const alice = network.addClient('alice');
    network.relay.connect(alice.peer);
    const outputs = network.relay.receive(alice.peer, encodeMessage({ type: 'update', update: new Uint8Array() }));
    expect(outputs[0]?.type).toBe('send');
    expect(outputs[1]).toMatchObject({ type: 'close', code: 4400 });
    expect(network.relay.rooms()).toHaveLength(0);
  });

  it('a relay that breaks the protocol (hello to a client, bad bytes) is answered with error and closed', () => {
    const network = new SimNetwork(driver, docId);
    const alice = network.addClient('alice');
    network.connect(alice);
    network.flush();
    alice.step({ type: 'received', frame: new Uint8Array([42]) });
    const errors = alice.effects.filter((e) => e.type === 'error');
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ code: ErrorCode.malformed, fromRelay: false });
    expect(alice.session.phase).toBe(SessionPhase.disconnected);
  });

  it('presence: a joiner sees current cursors; a leaver is removed for the others', () => {
    const network = new SimNetwork(driver, docId);
    const alice = network.addClient('alice');
    const bob = network.addClient('bob');
    network.connect(alice);
    network.flush();
    alice.step({
      type: 'local-presence',
      entry: { clientId: 7, clock: 1, state: { name: 'Alice', color: '#f00', cursor: { field: 'body', anchor: null, head: { replica: 7, clock: 0 } } } },
    });
    network.flush();
    network.connect(bob);
    network.flush();
    expect([...bob.session.peers.keys()]).toEqual([7]);
    expect(bob.session.peers.get(7)?.state?.name).toBe('Alice');
    network.disconnect(alice);
    network.flush();
    expect(bob.session.peers.size).toBe(0);
    // Alice's presence is re-sent when she is live again.
    network.connect(alice);
    network.flush();
    expect(bob.session.peers.get(7)?.state?.name).toBe('Alice');
  });

  it('random schedules converge: edits, disconnects and reconnects with seeded random delivery order', () => {
    for (let run = 0; run < 25; run++) {
      const seed = 1000 + run;
      const random = createRandom(seed);
      const network = new SimNetwork(driver, docId);
      const clients = [0, 1, 2].map((i) => network.addClient(`c${i}`));
      try {
        for (let step = 0; step < 60; step++) {
          const client = clients[Math.floor(random() * clients.length)]!;
          const roll = random();
          if (roll < 0.5) client.edit(`s${seed}-${step}`);
          else if (roll < 0.6) network.disconnect(client);
          else if (roll < 0.75) {
            if (!client.connected) network.connect(client);
          } else {
            // Deliver a few frames on random links.
            for (let k = 0; k < 3; k++) {
              const target = clients[Math.floor(random() * clients.length)]!;
              if (random() < 0.5) network.deliverToRelay(target);
              else network.deliverToClient(target);
            }
          }
        }
        for (const client of clients) if (!client.connected) network.connect(client);
        network.flush(random);
        expectConverged(network);
      } catch (error) {
        throw new Error(`random schedule failed with seed ${seed}: ${String(error)}`);
      }
    }
  });
}
