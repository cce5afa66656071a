/**
 * The relay's protocol logic without sockets: routes each peer's frames to its `Room`, creating a
 * room (and its document) on the first `hello` for a document id. The socket edge calls
 * `connect`, `receive`, `disconnect` and performs the returned outputs in order.
 *
 * Per-peer protocol: the first frame must be a valid `hello`; after that a peer may send `update`,
 * `awareness` and `error`. Anything else, or bytes that fail to decode, refuses the peer (`error`
 * message, then close with the code from `closeCodeFor`). Refusing a peer never touches its room.
 */
import { appendChunk, type PartialTransfer } from './chunks';
import { decodeMessage } from './codec';
import { ErrorCode, ProtocolError } from './errors';
import { Limits, type DocId, type Message } from './protocol';
import { Room, refusePeer, type PeerId, type RoomOutput, type SyncDoc } from './room';

/** Per-connection protocol state. `pinned`: the only document id this connection may join, or null. */
type PeerState = { readonly phase: 'awaiting-hello'; readonly pinned: DocId | null } | { readonly phase: 'joined'; readonly room: Room };

export interface RelayCoreOptions<D extends SyncDoc> {
  /** Creates the relay's copy of a document when its room is first joined. */
  createDoc(docId: DocId): D;
  /** Largest message reassembled from chunks, in bytes. Default: the protocol's update limit + 1 KiB. */
  readonly maxMessageBytes?: number;
}

/** The socketless relay: peers, rooms and routing. */
export class RelayCore<D extends SyncDoc = SyncDoc> {
  private readonly peers = new Map<PeerId, PeerState>();
  private readonly roomsById = new Map<DocId, Room>();
  private readonly docs = new Map<DocId, D>();
  /** Chunked transfers in progress, per peer. */
  private readonly transfers = new Map<PeerId, PartialTransfer>();
  private readonly maxMessageBytes: number;

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
      const room = this.roomFor(message.docId);
      const outputs = room.join(peer, message);
      if (room.has(peer)) this.peers.set(peer, { phase: 'joined', room });
      else this.peers.delete(peer);
      return outputs;
    }
    const room = state.room;
    switch (message.type) {
      case 'update': {
        const outputs = room.update(peer, message.update, frame);
        if (!room.has(peer)) this.peers.delete(peer);
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
    if (state === undefined || state.phase !== 'joined') return [];
    return state.room.leave(peer);
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

  private roomFor(docId: DocId): Room {
    let room = this.roomsById.get(docId);
    if (room === undefined) {
      const doc = this.options.createDoc(docId);
      this.docs.set(docId, doc);
      room = new Room(docId, doc);
      this.roomsById.set(docId, room);
    }
    return room;
  }
}
