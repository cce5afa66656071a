/**
 * A deterministic in-memory network for protocol tests: client sessions (`stepSession`) and a
 * socketless relay (`RelayCore`) joined by per-direction FIFO queues that the test delivers one
 * frame at a time (or all, in a seeded random interleaving across links). Every delivered frame is
 * recorded in `trace` as `from→to:type`, so scenarios can assert the message sequence.
 */
import { encodeMessage, peekMessageType } from './codec';
import { RelayCore } from './relay';
import { asPeerId, type PeerId, type SyncDoc } from './room';
import { createSession, stepSession, type SessionEffect, type SessionEvent, type SessionState } from './session';
import type { DocId } from './protocol';
import { mulberry32 } from '../random';

/** How the simulation makes and inspects documents of one implementation. */
export interface DocDriver<D extends SyncDoc> {
  /** A fresh empty document for `replica` (replica 0 is the relay). */
  create(replica: number): D;
  /** Makes one local edit labelled `label` and returns its update bytes. */
  edit(doc: D, label: string): Uint8Array;
  /** A string equal for two documents exactly when their visible and internal states agree. */
  fingerprint(doc: D): string;
}

/** One simulated client: document, session, and its two queues. */
export class SimClient<D extends SyncDoc> {
  session: SessionState;
  /** Frames on the wire towards the relay / from the relay, FIFO. */
  readonly toRelay: Uint8Array[] = [];
  readonly fromRelay: Uint8Array[] = [];
  readonly effects: SessionEffect[] = [];
  connected = false;

  constructor(
    readonly name: string,
    readonly peer: PeerId,
    readonly doc: D,
    docId: DocId,
    private readonly network: SimNetwork<D>,
  ) {
    this.session = createSession(docId, name);
  }

  /** Feeds one event to the session and performs its outputs. */
  step(event: SessionEvent): void {
    const result = stepSession(this.session, event, this.doc);
    this.session = result.state;
    for (const message of result.send) {
      if (this.connected) this.toRelay.push(encodeMessage(message));
    }
    for (const effect of result.effects) {
      this.effects.push(effect);
      if (effect.type === 'apply') this.doc.apply(effect.update, 'remote');
      if (effect.type === 'close') this.network.disconnect(this);
    }
  }

  /** A local edit: applied to the document, then handed to the session. */
  edit(label: string): void {
    const update = this.network.driver.edit(this.doc, label);
    this.step({ type: 'local-update', update });
  }
}

/** Relay + clients + queues. */
export class SimNetwork<D extends SyncDoc> {
  readonly relay: RelayCore<D>;
  readonly clients: SimClient<D>[] = [];
  readonly trace: string[] = [];
  private nextPeer = 1;

  constructor(
    readonly driver: DocDriver<D>,
    readonly docId: DocId,
  ) {
    this.relay = new RelayCore<D>({ createDoc: () => driver.create(0) });
  }

  addClient(name: string): SimClient<D> {
    const peer = asPeerId(this.nextPeer++);
    const client = new SimClient(name, peer, this.driver.create(peer), this.docId, this);
    this.clients.push(client);
    return client;
  }

  /** Opens the client's socket: the session goes connecting → syncing and queues its hello. */
  connect(client: SimClient<D>): void {
    client.step({ type: 'connecting' });
    this.relay.connect(client.peer);
    client.connected = true;
    client.step({ type: 'connected' });
  }

  /** Closes the client's socket; frames in flight both ways are lost. */
  disconnect(client: SimClient<D>): void {
    if (!client.connected) return;
    client.connected = false;
    client.toRelay.length = 0;
    client.fromRelay.length = 0;
    this.perform(this.relay.disconnect(client.peer));
    client.step({ type: 'disconnected' });
  }

  /** Delivers the oldest frame from `client` to the relay. Returns false when none is queued. */
  deliverToRelay(client: SimClient<D>): boolean {
    const frame = client.toRelay.shift();
    if (frame === undefined) return false;
    this.trace.push(`${client.name}→relay:${peekMessageType(frame) ?? '?'}`);
    this.perform(this.relay.receive(client.peer, frame));
    return true;
  }

  /** Delivers the oldest frame from the relay to `client`. Returns false when none is queued. */
  deliverToClient(client: SimClient<D>): boolean {
    const frame = client.fromRelay.shift();
    if (frame === undefined) return false;
    this.trace.push(`relay→${client.name}:${peekMessageType(frame) ?? '?'}`);
    client.step({ type: 'received', frame });
    return true;
  }

  /**
   * Delivers until every queue is empty. With `random`, the next link is picked at random
   * (links stay FIFO, like WebSockets); without it, links are served round-robin.
   */
  flush(random?: () => number, maxSteps = 100_000): void {
    for (let steps = 0; steps < maxSteps; steps++) {
      const links: (() => boolean)[] = [];
      for (const client of this.clients) {
        if (client.toRelay.length > 0) links.push(() => this.deliverToRelay(client));
        if (client.fromRelay.length > 0) links.push(() => this.deliverToClient(client));
      }
      if (links.length === 0) return;
      const pick = random === undefined ? 0 : Math.floor(random() * links.length);
      links[pick]!();
    }
    throw new Error(`network did not go quiet in ${maxSteps} steps`);
  }

  /** Fingerprint of the relay's document. */
  relayFingerprint(): string {
    const doc = this.relay.docOf(this.docId);
    return doc === undefined ? '<no room>' : this.driver.fingerprint(doc);
  }

  private perform(outputs: ReturnType<RelayCore<D>['receive']>): void {
    for (const output of outputs) {
      if (output.type !== 'send' && output.type !== 'close') continue; // no persistence in the simulation
      const client = this.clients.find((c) => c.peer === (output.type === 'send' ? output.to : output.peer));
      if (client === undefined || !client.connected) continue;
      if (output.type === 'send') client.fromRelay.push(output.frame);
      else {
        // The relay flushes what it sent (the error message) before the close frame.
        while (client.connected && this.deliverToClient(client));
        this.disconnect(client);
      }
    }
  }
}

/** A small seeded PRNG (mulberry32) for simulations. */
export function createRandom(seed: number): () => number {
  return mulberry32(seed);
}

/** A simulated network with clients `alice` and `bob` connected to the relay and synced. */
export function connectedPair<D extends SyncDoc>(driver: DocDriver<D>, docId: DocId) {
  const network = new SimNetwork(driver, docId);
  const alice = network.addClient('alice');
  const bob = network.addClient('bob');
  network.connect(alice);
  network.connect(bob);
  network.flush();
  return { network, alice, bob };
}
