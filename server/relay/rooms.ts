/**
 * The relay's rooms: one in-memory document per document id, created on the first `hello` for
 * it, plus the bookkeeping the HTTP endpoints show (clients, last update time, text length).
 * No sockets here: `server.ts` feeds frames in and performs the returned outputs.
 */
import { RelayCore } from '../../lib/sync/relay';
import type { DocId } from '../../lib/sync/protocol';
import type { PeerId, RoomOutput, SyncDoc } from '../../lib/sync/room';
import type { ProtocolError } from '../../lib/sync/errors';

/** How the relay makes and describes documents. */
export interface RelayDocFactory<D extends SyncDoc> {
  /** A fresh, empty relay copy of `docId`. */
  create(docId: DocId): D;
  /** Visible text length of the document's main text, or null when it has none. */
  textLength(doc: D): number | null;
  /** The document's title, or null when it has none. Optional. */
  title?(doc: D): string | null;
}

/** One row of `GET /docs`. */
export interface RoomSummary {
  readonly id: DocId;
  /** Connections joined to the room right now. */
  readonly clients: number;
  /** Updates accepted since the room was created. */
  readonly updates: number;
  /** ISO time of the last accepted update, or null. */
  readonly updatedAt: string | null;
  readonly textLength: number | null;
  readonly title: string | null;
}

/** Rooms + routing for one relay process. */
export class RelayRooms<D extends SyncDoc = SyncDoc> {
  readonly core: RelayCore<D>;
  private readonly lastUpdate = new Map<DocId, number>();
  /** What `/docs` said about rooms evicted from memory (a few strings each, not their documents). */
  private readonly evicted = new Map<DocId, RoomSummary>();

  constructor(
    private readonly factory: RelayDocFactory<D>,
    private readonly now: () => number,
    maxMessageBytes?: number,
    /** True: rooms load from persistence before their first join, accepted updates are persisted. */
    persistence = false,
  ) {
    this.core = new RelayCore<D>({
      createDoc: (docId) => factory.create(docId),
      persistence,
      ...(maxMessageBytes === undefined ? {} : { maxMessageBytes }),
    });
  }

  /** Registers a connection, optionally pinned to one document (see `RelayCore.connect`). */
  connect(peer: PeerId, pinnedDocId: DocId | null = null): void {
    this.core.connect(peer, pinnedDocId);
  }

  /** Handles one frame from `peer`; records the update time when the room accepted an update. */
  receive(peer: PeerId, frame: Uint8Array): RoomOutput[] {
    const room = this.core.roomOf(peer);
    const before = room?.updatesApplied ?? 0;
    const outputs = this.core.receive(peer, frame);
    if (room !== null && room.updatesApplied !== before) this.lastUpdate.set(room.docId, this.now());
    return outputs;
  }

  refuse(peer: PeerId, error: ProtocolError): RoomOutput[] {
    return this.core.refuse(peer, error);
  }

  disconnect(peer: PeerId): RoomOutput[] {
    return this.core.disconnect(peer);
  }

  /** See `RelayCore.completeLoad`. */
  completeLoad(docId: DocId, state: Uint8Array | null, durableStateVector: Uint8Array | null): RoomOutput[] {
    return this.core.completeLoad(docId, state, durableStateVector);
  }

  /** See `RelayCore.failLoad`. */
  failLoad(docId: DocId, reason: string): RoomOutput[] {
    return this.core.failLoad(docId, reason);
  }

  /** See `RelayCore.acknowledge`. */
  acknowledge(docId: DocId, stateVector: Uint8Array): RoomOutput[] {
    return this.core.acknowledge(docId, stateVector);
  }

  /**
   * Drops an idle room from memory (see `RelayCore.evict`; the caller guarantees its updates are
   * durable). Its `/docs` row is kept, with zero clients, so listings stay informative.
   */
  evict(docId: DocId): boolean {
    const summary = this.roomSummaries().find((row) => row.id === docId);
    if (!this.core.evict(docId)) return false;
    if (summary !== undefined) this.evicted.set(docId, { ...summary, clients: 0 });
    this.lastUpdate.delete(docId);
    return true;
  }

  /** The room a peer has joined, as its document id; null before `hello`. */
  docIdOf(peer: PeerId): DocId | null {
    return this.core.roomOf(peer)?.docId ?? null;
  }

  /** The relay's document for `docId`, if any client has joined it. */
  doc(docId: DocId): D | undefined {
    return this.core.docOf(docId);
  }

  /**
   * Every room in memory plus the ids in `stored` (documents the persistence group holds that are
   * not in memory here: zero clients; details only for rooms this relay evicted), sorted by id.
   */
  summaries(stored: readonly DocId[] = []): RoomSummary[] {
    const inMemory = this.roomSummaries();
    const known = new Set(inMemory.map((summary) => summary.id));
    const others = stored
      .filter((id) => !known.has(id))
      .map((id): RoomSummary => this.evicted.get(id) ?? { id, clients: 0, updates: 0, updatedAt: null, textLength: null, title: null });
    return [...inMemory, ...others].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  }

  private roomSummaries(): RoomSummary[] {
    return this.core
      .rooms()
      .map((room) => {
        const last = this.lastUpdate.get(room.docId);
        const doc = this.core.docOf(room.docId);
        return {
          id: room.docId,
          clients: room.size,
          updates: room.updatesApplied,
          updatedAt: last === undefined ? null : new Date(last).toISOString(),
          textLength: doc === undefined ? null : this.factory.textLength(doc),
          title: doc === undefined || this.factory.title === undefined ? null : this.factory.title(doc),
        };
      })
      .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  }
}
