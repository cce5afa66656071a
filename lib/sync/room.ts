/**
 * The relay side of the sync protocol for one document, without sockets: a `Room` holds the
 * relay's copy of the document, the peers joined to it and their presence, and turns each input
 * into outputs (frames to send to peers, peers to close). The socket edge (server/relay) maps
 * `PeerId`s to sockets and performs the outputs in order.
 *
 * Invariants:
 * - A frame that fails validation or that the document rejects changes nothing in the room: the
 *   document never half-applies (Doc contract), the sender is answered with `error` and closed,
 *   and the other peers see nothing.
 * - An accepted `update` is applied to the room's document before the *same bytes* are fanned
 *   out to every other peer of the room (never back to the sender).
 * - A joiner receives `sync` (diff of its vector + the room's vector) before any live update,
 *   because join and fan-out run synchronously in the same order the frames arrive.
 */
import { encodeMessage } from './codec';
import { ErrorCode, ProtocolError } from './errors';
import { closeCodeFor, type AwarenessEntry, type CloseCode, type DocId, type HelloMessage } from './protocol';
import type { SyncDocView } from './session';

/** The document operations a room needs. `Doc` from lib/crdt satisfies it. */
export interface SyncDoc extends SyncDocView {
  /** Applies a remote update; throws (DecodeError, ClockSkewError...) and changes nothing when it rejects it. */
  apply(update: Uint8Array, origin?: unknown): void;
}

/** A connection id given by the socket edge. Unique per relay process. */
export type PeerId = number & { readonly __brand: 'PeerId' };

/** Builds a `PeerId` from a non-negative integer. */
export function asPeerId(value: number): PeerId {
  if (!Number.isSafeInteger(value) || value < 0) throw new RangeError(`bad peer id ${value}`);
  return value as PeerId;
}

/**
 * What the socket edge must do, in order. `load` and `persist` appear only when the relay core
 * runs with persistence (`RelayCoreOptions.persistence`).
 */
export type RoomOutput =
  | { readonly type: 'send'; readonly to: PeerId; readonly frame: Uint8Array }
  | { readonly type: 'close'; readonly peer: PeerId; readonly code: CloseCode; readonly reason: string }
  /** Load `docId` from persistence, then call `RelayCore.completeLoad` or `failLoad`. */
  | { readonly type: 'load'; readonly docId: DocId }
  /** The room accepted `update` (already applied): make it durable, then call `RelayCore.acknowledge`. */
  | { readonly type: 'persist'; readonly docId: DocId; readonly update: Uint8Array };

export const isSendOutput = (output: RoomOutput): output is Extract<RoomOutput, { type: 'send' }> => output.type === 'send';
export const isCloseOutput = (output: RoomOutput): output is Extract<RoomOutput, { type: 'close' }> => output.type === 'close';
export const isLoadOutput = (output: RoomOutput): output is Extract<RoomOutput, { type: 'load' }> => output.type === 'load';
export const isPersistOutput = (output: RoomOutput): output is Extract<RoomOutput, { type: 'persist' }> => output.type === 'persist';

/** The outputs that refuse a peer: an `error` message with the reason, then a close with the matching code. */
export function refusePeer(peer: PeerId, error: ProtocolError): RoomOutput[] {
  const message = error.message.slice(0, 1000);
  return [
    { type: 'send', to: peer, frame: encodeMessage({ type: 'error', code: error.code, message }) },
    // WebSocket close reasons are limited to 123 bytes.
    { type: 'close', peer, code: closeCodeFor(error.code), reason: truncateUtf8(message, 120) },
  ];
}

function truncateUtf8(text: string, maxBytes: number): string {
  const encoder = new TextEncoder();
  let out = text;
  while (encoder.encode(out).length > maxBytes) out = out.slice(0, -1);
  return out;
}

function describe(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

/** One document's room on a relay. */
export class Room {
  /** Peers joined to this room, with the presence clientIds each has announced. */
  private readonly members = new Map<PeerId, Set<number>>();
  /** Current presence by clientId. Invariant: every state is non-null. */
  private readonly presence = new Map<number, AwarenessEntry>();
  /** Number of updates accepted (for stats). */
  updatesApplied = 0;
  /**
   * The latest durable state vector (what the persistence group holds), or null when unknown
   * (memory-only relay, or nothing acknowledged yet). Sent to joiners after `sync`.
   */
  private durable: Uint8Array | null = null;

  constructor(
    readonly docId: DocId,
    readonly doc: SyncDoc,
  ) {}

  /** Number of peers joined. */
  get size(): number {
    return this.members.size;
  }

  has(peer: PeerId): boolean {
    return this.members.has(peer);
  }

  /** The peers joined, in join order. */
  peers(): PeerId[] {
    return [...this.members.keys()];
  }

  /**
   * Joins `peer` after its `hello`: answers with `sync` (what it lacks + the room's vector) and the
   * current presence. A state vector the document rejects refuses the peer, which does not join.
   */
  join(peer: PeerId, hello: HelloMessage): RoomOutput[] {
    let missing: Uint8Array;
    let stateVector: Uint8Array;
    try {
      missing = this.doc.diff(hello.stateVector);
      stateVector = this.doc.encodeStateVector();
    } catch (error) {
      return refusePeer(peer, new ProtocolError(ErrorCode.badUpdate, `state vector rejected: ${describe(error)}`));
    }
    this.members.set(peer, new Set());
    const outputs: RoomOutput[] = [{ type: 'send', to: peer, frame: encodeMessage({ type: 'sync', update: missing, stateVector }) }];
    if (this.durable !== null) outputs.push({ type: 'send', to: peer, frame: encodeMessage({ type: 'ack', stateVector: this.durable }) });
    if (this.presence.size > 0) {
      outputs.push({ type: 'send', to: peer, frame: encodeMessage({ type: 'awareness', entries: [...this.presence.values()] }) });
    }
    return outputs;
  }

  /**
   * Records that everything covered by `stateVector` is durable and tells every member (`ack`).
   * The caller passes vectors of one document in commit order, so they only grow.
   */
  acknowledge(stateVector: Uint8Array): RoomOutput[] {
    this.durable = stateVector;
    const frame = encodeMessage({ type: 'ack', stateVector });
    return [...this.members.keys()].map((member) => ({ type: 'send', to: member, frame }) as const);
  }

  /** The latest durable state vector, or null. */
  get durableStateVector(): Uint8Array | null {
    return this.durable;
  }

  /**
   * Applies an update from a joined peer and fans `frame` (the peer's own bytes) out to the
   * others. A rejected update refuses the sender, removes it from the room, and changes nothing else.
   */
  update(peer: PeerId, update: Uint8Array, frame: Uint8Array): RoomOutput[] {
    if (!this.members.has(peer)) {
      return refusePeer(peer, new ProtocolError(ErrorCode.unexpectedMessage, 'update before joining the room'));
    }
    try {
      this.doc.apply(update, peer);
    } catch (error) {
      return [...refusePeer(peer, new ProtocolError(ErrorCode.badUpdate, `update rejected: ${describe(error)}`)), ...this.leave(peer)];
    }
    this.updatesApplied++;
    return this.broadcast(peer, frame);
  }

  /**
   * Records presence entries from a peer (newer clocks only) and forwards them to the others. A
   * clientId belongs to the first peer that announced it: entries for a clientId another member
   * owns are dropped, so one client cannot overwrite or remove another's cursor. `frame` is
   * forwarded as is when every entry was kept, re-encoded otherwise.
   */
  awareness(peer: PeerId, entries: readonly AwarenessEntry[], frame: Uint8Array): RoomOutput[] {
    const owned = this.members.get(peer);
    if (owned === undefined) {
      return refusePeer(peer, new ProtocolError(ErrorCode.unexpectedMessage, 'awareness before joining the room'));
    }
    const kept: AwarenessEntry[] = [];
    for (const entry of entries) {
      if (!owned.has(entry.clientId) && this.ownerOf(entry.clientId) !== null) continue;
      kept.push(entry);
      owned.add(entry.clientId);
      const current = this.presence.get(entry.clientId);
      if (current !== undefined && current.clock >= entry.clock) continue;
      if (entry.state === null) this.presence.delete(entry.clientId);
      else this.presence.set(entry.clientId, entry);
    }
    if (kept.length === 0 && entries.length > 0) return [];
    return this.broadcast(peer, kept.length === entries.length ? frame : encodeMessage({ type: 'awareness', entries: kept }));
  }

  /** The member that announced `clientId`, or null. */
  private ownerOf(clientId: number): PeerId | null {
    for (const [member, owned] of this.members) if (owned.has(clientId)) return member;
    return null;
  }

  /** Removes a peer; tells the others that its presence entries left. Idempotent. */
  leave(peer: PeerId): RoomOutput[] {
    const owned = this.members.get(peer);
    if (owned === undefined) return [];
    this.members.delete(peer);
    const gone: AwarenessEntry[] = [];
    for (const clientId of owned) {
      const current = this.presence.get(clientId);
      if (current === undefined) continue;
      this.presence.delete(clientId);
      gone.push({ clientId, clock: current.clock + 1, state: null });
    }
    if (gone.length === 0) return [];
    return this.broadcast(peer, encodeMessage({ type: 'awareness', entries: gone }));
  }

  /** Current presence entries (non-null states). */
  presenceEntries(): AwarenessEntry[] {
    return [...this.presence.values()];
  }

  private broadcast(from: PeerId, frame: Uint8Array): RoomOutput[] {
    const outputs: RoomOutput[] = [];
    for (const member of this.members.keys()) {
      if (member !== from) outputs.push({ type: 'send', to: member, frame });
    }
    return outputs;
  }
}
