/**
 * The relay's protocol logic without sockets: routes each peer's frames to its `Room`, creating a
 * room (and its document) on the first `hello` for a document id. The socket edge calls
 * `connect`, `receive`, `disconnect` and performs the returned outputs in order.
 *
 * Per-peer protocol: the first frame must be a valid `hello`; after that a peer may send `update`,
 * `awareness` and `error`. Anything else, or bytes that fail to decode, refuses the peer (`error`
 * message, then close with the code from `closeCodeFor`). Refusing a peer never touches its room.
 *
 * With `persistence`, a room exists only once its document is loaded: the first `hello` for a
 * document emits a `load` output and parks the peer (and every later joiner, and every later frame
 * of theirs, in arrival order) until the edge calls `completeLoad` (the room is created from the
 * stored state, the parked hellos are answered and their frames replayed) or `failLoad` (the parked
 * peers are refused with `unavailable`; the next `hello` tries again). Every accepted update emits a
 * `persist` output; the edge calls `acknowledge` with the durable vector once it is committed.
 */
import { appendChunk, type PartialTransfer } from './chunks';
import { decodeMessage } from './codec';
import { ErrorCode, ProtocolError } from './errors';
import { Limits, type DocId, type HelloMessage, type Message } from './protocol';
import { Room, refusePeer, type PeerId, type RoomOutput, type SyncDoc } from './room';

/**
 * Per-connection protocol state. `pinned`: the only document id this connection may join, or null.
 * `waiting`: the peer's `hello` waits for its document to load; `frames` (whole frames received
 * since, in order) are replayed once it has joined.
 */
type PeerState =
  | { readonly phase: 'awaiting-hello'; readonly pinned: DocId | null }
  | { readonly phase: 'waiting'; readonly hello: HelloMessage; readonly frames: Uint8Array[] }
  | { readonly phase: 'joined'; readonly room: Room };

/** Most frames a peer may send while its document loads (a well-behaved client sends none). */
export const MAX_FRAMES_WHILE_LOADING = 256;

export interface RelayCoreOptions<D extends SyncDoc> {
  /** Creates the relay's copy of a document when its room is first joined. */
  createDoc(docId: DocId): D;
  /** Largest message reassembled from chunks, in bytes. Default: the protocol's update limit + 1 KiB. */
  readonly maxMessageBytes?: number;
  /**
   * True: rooms are loaded before their first join (`load` outputs, `completeLoad`/`failLoad`)
   * and accepted updates are reported (`persist` outputs). Default false (memory only).
   */
  readonly persistence?: boolean;
}

/** The socketless relay: peers, rooms and routing. */
export class RelayCore<D extends SyncDoc = SyncDoc> {
  private readonly peers = new Map<PeerId, PeerState>();
  private readonly roomsById = new Map<DocId, Room>();
  private readonly docs = new Map<DocId, D>();
  /** Chunked transfers in progress, per peer. */
  private readonly transfers = new Map<PeerId, PartialTransfer>();
  private readonly maxMessageBytes: number;
  /** Documents being loaded → the peers waiting for them, in arrival order. */
  private readonly loading = new Map<DocId, PeerId[]>();

  constructor(private readonly options: RelayCoreOptions<D>) {
    this.maxMessageBytes = options.maxMessageBytes ?? Limits.updateBytes + 1024;
  }

  /**
   * Registers a new connection; it must send `hello` first. With `pinnedDocId` (the socket URL
   * was /doc/<id>), a `hello` for any other document is refused with `badDocId`.
   */
  connect(peer: PeerId, pinnedDocId: DocId | null = null): void {
    if (this.peers.has(peer)) throw new Error(`peer ${peer} already connected`);
    this.peers.set(peer, { phase: 'awaiting-hello', pinned: pinnedDocId });
  }

  /** Handles one binary frame from `peer`. */
  receive(peer: PeerId, frame: Uint8Array): RoomOutput[] {
    const state = this.peers.get(peer);
    if (state === undefined) return [];
    let message: Message;
    try {
      message = decodeMessage(frame);
    } catch (error) {
      if (error instanceof ProtocolError) return this.refuse(peer, error);
      throw error;
    }
    if (message.type === 'chunk') {
      let progress;
      try {
        progress = appendChunk(this.transfers.get(peer) ?? null, message, this.maxMessageBytes);
      } catch (error) {
        if (error instanceof ProtocolError) return this.refuse(peer, error);
        throw error;
      }
      if (progress.frame === null) {
        this.transfers.set(peer, progress.partial);
        return [];
      }
      this.transfers.delete(peer);
      return this.receive(peer, progress.frame); // never a chunk again: appendChunk checks
    }
    if (state.phase === 'awaiting-hello') {
      if (message.type !== 'hello') {
        return this.refuse(peer, new ProtocolError(ErrorCode.unexpectedMessage, `expected hello, got ${message.type}`));
      }
      if (state.pinned !== null && message.docId !== state.pinned) {
        return this.refuse(peer, new ProtocolError(ErrorCode.badDocId, `hello for ${message.docId} on a connection to /doc/${state.pinned}`));
      }
      const existing = this.roomsById.get(message.docId);
      if (existing === undefined && this.options.persistence === true) return this.waitForLoad(peer, message);
      return this.join(peer, existing ?? this.createRoom(message.docId), message);
    }
    if (state.phase === 'waiting') {
      if (state.frames.length >= MAX_FRAMES_WHILE_LOADING) {
        return this.refuse(peer, new ProtocolError(ErrorCode.unexpectedMessage, `more than ${MAX_FRAMES_WHILE_LOADING} messages before sync`));
      }
      state.frames.push(frame);
      return [];
    }
    const room = state.room;
    switch (message.type) {
      case 'update': {
        const before = room.updatesApplied;
        const outputs = room.update(peer, message.update, frame);
        if (!room.has(peer)) this.peers.delete(peer);
        if (this.options.persistence === true && room.updatesApplied !== before) {
          outputs.unshift({ type: 'persist', docId: room.docId, update: message.update });
        }
        return outputs;
      }
      case 'awareness':
        return room.awareness(peer, message.entries, frame);
      case 'error':
        return []; // the client reports a problem and will close; nothing to answer
      case 'hello':
      case 'sync':
      case 'ack':
        return this.refuse(peer, new ProtocolError(ErrorCode.unexpectedMessage, `a joined client must not send ${message.type}`));
    }
  }

  /**
   * Refuses `peer` for a reason found at the edge (rate limit, slow consumer, shutdown): it leaves
   * its room, is sent an `error` and closed.
   */
  refuse(peer: PeerId, error: ProtocolError): RoomOutput[] {
    const outputs = refusePeer(peer, error);
    outputs.push(...this.disconnect(peer));
    return outputs;
  }

  /** Forgets a closed connection; its presence leaves its room. Idempotent. */
  disconnect(peer: PeerId): RoomOutput[] {
    const state = this.peers.get(peer);
    this.peers.delete(peer);
    this.transfers.delete(peer);
    if (state?.phase === 'waiting') {
      const waiting = this.loading.get(state.hello.docId);
      if (waiting !== undefined) waiting.splice(waiting.indexOf(peer) >>> 0, 1);
    }
    if (state === undefined || state.phase !== 'joined') return [];
    return state.room.leave(peer);
  }

  /**
   * The document `docId` was loaded: creates its room holding `state` (bytes for `SyncDoc.apply`,
   * null when nothing is stored) with `durableStateVector` (the stored state's vector, or null)
   * as its durable vector, answers the waiting peers' hellos in arrival order and replays their
   * later frames. A state the document rejects fails the load instead. Ignored when no load is pending.
   */
  completeLoad(docId: DocId, state: Uint8Array | null, durableStateVector: Uint8Array | null): RoomOutput[] {
    const waiting = this.loading.get(docId);
    if (waiting === undefined) return [];
    const doc = this.options.createDoc(docId);
    if (state !== null && state.length > 0) {
      try {
        doc.apply(state);
      } catch (error) {
        return this.failLoad(docId, `the stored document does not load: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
    this.loading.delete(docId);
    const room = this.createRoom(docId, doc);
    if (durableStateVector !== null) room.acknowledge(durableStateVector); // no members yet: nothing sent
    const outputs: RoomOutput[] = [];
    for (const peer of waiting) {
      const peerState = this.peers.get(peer);
      if (peerState?.phase !== 'waiting') continue;
      outputs.push(...this.join(peer, room, peerState.hello));
      for (const frame of peerState.frames) {
        if (this.peers.get(peer)?.phase !== 'joined') break;
        outputs.push(...this.receive(peer, frame));
      }
    }
    return outputs;
  }

  /** Loading `docId` failed: refuses every peer waiting for it (`unavailable`); the next `hello` retries. */
  failLoad(docId: DocId, reason: string): RoomOutput[] {
    const waiting = this.loading.get(docId);
    if (waiting === undefined) return [];
    this.loading.delete(docId);
    const outputs: RoomOutput[] = [];
    for (const peer of waiting) {
      outputs.push(...this.refuse(peer, new ProtocolError(ErrorCode.unavailable, `cannot load document ${docId}: ${reason}`)));
    }
    return outputs;
  }

  /** Everything covered by `stateVector` of `docId` is durable: tells the room's clients (`ack`). */
  acknowledge(docId: DocId, stateVector: Uint8Array): RoomOutput[] {
    return this.roomsById.get(docId)?.acknowledge(stateVector) ?? [];
  }

  /**
   * Drops the room of `docId` and the relay's copy of its document, so a relay does not keep every
   * document it ever served. Only a room nobody has joined and whose document is not loading can
   * go; the caller (the socket edge) must also know that everything the room accepted is durable,
   * because the next `hello` for it loads the document from persistence again. Returns whether the
   * room was dropped.
   */
  evict(docId: DocId): boolean {
    const room = this.roomsById.get(docId);
    if (room === undefined || room.size > 0 || this.loading.has(docId)) return false;
    this.roomsById.delete(docId);
    this.docs.delete(docId);
    return true;
  }

  /** Document ids whose load is pending. */
  loadingDocIds(): DocId[] {
    return [...this.loading.keys()];
  }

  /** The room a peer has joined, or null. */
  roomOf(peer: PeerId): Room | null {
    const state = this.peers.get(peer);
    return state?.phase === 'joined' ? state.room : null;
  }

  /** Rooms in memory, in creation order. */
  rooms(): Room[] {
    return [...this.roomsById.values()];
  }

  /** The relay's document for `docId`, or undefined when no one has joined it. */
  docOf(docId: DocId): D | undefined {
    return this.docs.get(docId);
  }

  /** Number of connected peers (joined or not). */
  get connectionCount(): number {
    return this.peers.size;
  }

  private createRoom(docId: DocId, doc: D = this.options.createDoc(docId)): Room {
    this.docs.set(docId, doc);
    const room = new Room(docId, doc);
    this.roomsById.set(docId, room);
    return room;
  }

  private join(peer: PeerId, room: Room, hello: HelloMessage): RoomOutput[] {
    const outputs = room.join(peer, hello);
    if (room.has(peer)) this.peers.set(peer, { phase: 'joined', room });
    else this.peers.delete(peer);
    return outputs;
  }

  /** Parks `peer` until `docId` is loaded; the first waiter asks for the load. */
  private waitForLoad(peer: PeerId, hello: HelloMessage): RoomOutput[] {
    this.peers.set(peer, { phase: 'waiting', hello, frames: [] });
    const waiting = this.loading.get(hello.docId);
    if (waiting !== undefined) {
      waiting.push(peer);
      return [];
    }
    this.loading.set(hello.docId, [peer]);
    return [{ type: 'load', docId: hello.docId }];
  }
}
