import { describe, expect, it } from 'vitest';
import { Doc } from '../crdt';
import { encodeMessage } from './codec';
import { hello, parseDocId } from './protocol';
import { asPeerId } from './room';
import { connectedPair, SimNetwork, createRandom, type DocDriver } from './sim';

const docId = parseDocId('fuzz');

const driver: DocDriver<Doc> = {
  create: (replica) => new Doc({ replicaId: replica }),
  edit: (doc, label) => {
    let update: Uint8Array | null = null;
    const off = doc.on('update', (bytes: Uint8Array) => {
      update = bytes;
    });
    const text = doc.getText('body');
    let hash = 0;
    for (const char of label) hash = (hash * 31 + char.charCodeAt(0)) >>> 0;
    doc.transact(() => {
      text.insert(hash % (text.length + 1), label);
      if (text.length > 20 && hash % 4 === 0) text.delete(hash % (text.length - 3), 2);
    });
    off();
    if (update === null) throw new Error('no update');
    return update;
  },
  fingerprint: (doc) => JSON.stringify({ json: doc.toJSON(), sv: [...doc.stateVector()].sort(), pending: doc.pendingCount() }),
};

describe('relay under hostile input (seeded fuzz)', () => {
  it('a hostile peer never crashes the relay; every frame it is refused for leaves the room doc unchanged; honest clients converge', () => {
    let refusals = 0;
    let accepted = 0;
    for (let run = 0; run < 30; run++) {
      const seed = 0x5eed + run;
      const random = createRandom(seed);
      const { network, alice, bob } = connectedPair(driver, docId);
      /** Frames alice sent, as raw material for mutations. */
      const seen: Uint8Array[] = [];
      let hostile = asPeerId(1000);
      let hostileJoined = false;
      try {
        for (let step = 0; step < 40; step++) {
          const roll = random();
          if (roll < 0.4) {
            (random() < 0.5 ? alice : bob).edit(`s${step}`);
            seen.push(...alice.toRelay);
            network.flush(random);
            continue;
          }
          if (!hostileJoined) {
            hostile = asPeerId(1000 + step);
            network.relay.connect(hostile);
            network.relay.receive(hostile, encodeMessage(hello(docId, driver.create(99).encodeStateVector())));
            hostileJoined = true;
          }
          let frame: Uint8Array;
          if (seen.length > 0 && random() < 0.6) {
            frame = seen[Math.floor(random() * seen.length)]!.slice();
            const flips = 1 + Math.floor(random() * 3);
            for (let k = 0; k < flips; k++) frame[Math.floor(random() * frame.length)] = Math.floor(random() * 256);
          } else {
            frame = Uint8Array.from({ length: Math.floor(random() * 24) }, () => Math.floor(random() * 256));
          }
          const before = network.relayFingerprint();
          const outputs = network.relay.receive(hostile, frame);
          const refused = outputs.some((o) => o.type === 'close' && o.peer === hostile);
          if (refused) refusals++;
          else accepted++;
          if (refused) {
            expect(network.relayFingerprint(), 'a refused frame changed the room').toBe(before);
            hostileJoined = false;
          }
          // Whatever the relay fans out from the hostile peer reaches the honest clients too.
          for (const output of outputs) {
            const client = [alice, bob].find((c) => output.type === 'send' && c.peer === output.to);
            if (client !== undefined && output.type === 'send') client.fromRelay.push(output.frame);
          }
          network.flush(random);
        }
        network.flush(random);
        for (const client of [alice, bob]) {
          if (!client.connected) network.connect(client);
        }
        network.flush(random);
        expect(driver.fingerprint(alice.doc)).toBe(network.relayFingerprint());
        expect(driver.fingerprint(bob.doc)).toBe(network.relayFingerprint());
      } catch (error) {
        throw new Error(`relay fuzz failed with seed ${seed}: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
    // The fuzz must exercise both paths: frames refused and mutated frames the relay accepted.
    expect(refusals).toBeGreaterThan(50);
    expect(accepted).toBeGreaterThan(5);
  });
});
