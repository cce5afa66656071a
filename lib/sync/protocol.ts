/**
 * The Tandem wire protocol: the messages a client and a relay exchange over one WebSocket, as a
 * discriminated union on `type`. Binary encoding lives in `codec.ts`; see server/relay/README.md
 * for the message table and the handshake.
 *
 * Handshake: client → `hello` (its state vector); relay → `sync` (what the client lacks + the
 * relay's state vector); client → `update` (what the relay lacks, if anything); then both sides
 * exchange live `update`s. CRDT updates and state vectors are opaque bytes here: the `Doc`
 * (lib/crdt) encodes and validates them.
 */
import { ErrorCode, ProtocolError } from './errors';

/** The protocol version a `hello` must carry. Bumped on any incompatible wire change. */
export const PROTOCOL_VERSION = 1;

/** Size limits every decoder and encoder enforces (bytes of encoded UTF-8 for strings). */
export const Limits = {
  docIdLength: 128,
  clientNameBytes: 256,
  errorMessageBytes: 1024,
  /** CRDT update bytes in one message; relays cap whole frames lower with `maxPayload`. */
  updateBytes: 64 * 1024 * 1024,
  stateVectorBytes: 1024 * 1024,
  awarenessEntries: 1024,
  presenceNameBytes: 256,
  presenceColorBytes: 64,
  cursorFieldBytes: 256,
  /** Chunks in one chunked transfer. */
  chunkCount: 65_536,
  /** Bytes of one chunk's payload. */
  chunkBytes: 16 * 1024 * 1024,
} as const;

/** A document id: 1–128 characters of [A-Za-z0-9_-]. Build one with `parseDocId`. */
export type DocId = string & { readonly __brand: 'DocId' };

const docIdPattern = /^[A-Za-z0-9_-]{1,128}$/;

/** True when `value` is a valid document id. */
export function isDocId(value: string): value is DocId {
  return docIdPattern.test(value);
}

/** Returns `value` as a `DocId`, or throws `ProtocolError(badDocId)`. */
export function parseDocId(value: string): DocId {
  if (!isDocId(value)) {
    throw new ProtocolError(ErrorCode.badDocId, `bad document id ${JSON.stringify(value.slice(0, 140))}: want 1-128 of [A-Za-z0-9_-]`);
  }
  return value;
}

/** Client → relay, first message: join `docId`, telling the relay what the client already has. */
export interface HelloMessage {
  readonly type: 'hello';
  /** Must equal PROTOCOL_VERSION; a relay refuses anything else with `unsupportedVersion`. */
  readonly version: number;
  readonly docId: DocId;
  /** The client's `doc.encodeStateVector()`. */
  readonly stateVector: Uint8Array;
  /** A display name for logs and presence, or null. */
  readonly clientName: string | null;
}

/** Relay → client, the reply to `hello`. */
export interface SyncMessage {
  readonly type: 'sync';
  /** `relayDoc.diff(client's state vector)`: everything the client lacks. */
  readonly update: Uint8Array;
  /** The relay's state vector, so the client can send `clientDoc.diff(it)` as an `update`. */
  readonly stateVector: Uint8Array;
}

/** Either way: a live CRDT update (from `doc.on('update')`, or a diff). */
export interface UpdateMessage {
  readonly type: 'update';
  readonly update: Uint8Array;
}

/** Either way: the sender refused something. A relay closes the socket right after sending it. */
export interface ErrorMessage {
  readonly type: 'error';
  readonly code: ErrorCode;
  readonly message: string;
}

/**
 * Relay → client: everything covered by this state vector is durable (committed by the
 * persistence group). Sent to every client of a room after each batch of its updates commits, and
 * to a joiner right after `sync` once the room has a durable vector. Vectors of one room only grow.
 * Clients may drop pending operations it covers.
 */
export interface AckMessage {
  readonly type: 'ack';
  readonly stateVector: Uint8Array;
}

/**
 * A caret position anchored to a character id (stable under concurrent edits): the caret sits just
 * before the character `(replica, clock)`, or at the end of the text when null. Get one with
 * `text.idAt(index)` and map it back with `text.indexOf(id)`.
 */
export type CaretAnchor = { readonly replica: number; readonly clock: number } | null;

/** A selection in one text field: `anchor` where it started, `head` where the caret is. */
export interface CursorRange {
  readonly field: string;
  readonly anchor: CaretAnchor;
  readonly head: CaretAnchor;
}

/** What one client shows to others: who it is and where its cursor is. */
export interface PresenceState {
  readonly name: string;
  /** A CSS colour, e.g. '#e91e63'. */
  readonly color: string;
  readonly cursor: CursorRange | null;
}

/**
 * One client's presence. `clientId` is the sender's replica id (uint32). `clock` grows with each
 * change from that client; a receiver ignores an entry whose clock is not newer than what it has.
 * `state === null` means the client left.
 */
export interface AwarenessEntry {
  readonly clientId: number;
  readonly clock: number;
  readonly state: PresenceState | null;
}

/** Either way: presence changes. The relay forwards them, and sends a joiner the current ones. */
export interface AwarenessMessage {
  readonly type: 'awareness';
  readonly entries: readonly AwarenessEntry[];
}

/**
 * Either way: one piece of a frame too large for the peer's frame limit (`maxPayload`). The
 * `count` chunks of a transfer travel in order (`index` 0..count-1) on one connection, with no
 * other chunked transfer interleaved; their payloads concatenated are one complete encoded frame
 * (never itself a chunk), which the receiver then handles as if it had arrived whole.
 */
export interface ChunkMessage {
  readonly type: 'chunk';
  /** Chosen by the sender, uint32; the same for every chunk of a transfer. */
  readonly transferId: number;
  readonly index: number;
  readonly count: number;
  readonly bytes: Uint8Array;
}

/** Every message of the protocol. */
export type Message = HelloMessage | SyncMessage | UpdateMessage | ErrorMessage | AckMessage | AwarenessMessage | ChunkMessage;

/** The `type` of every message. */
export type MessageType = Message['type'];

/** Wire tag (first byte of a frame) per message type. Never reuse a retired tag. */
export const MessageTag = {
  hello: 1,
  sync: 2,
  update: 3,
  error: 4,
  ack: 5,
  awareness: 6,
  chunk: 7,
} as const satisfies Record<MessageType, number>;

export const isHello = (message: Message): message is HelloMessage => message.type === 'hello';
export const isSync = (message: Message): message is SyncMessage => message.type === 'sync';
export const isUpdate = (message: Message): message is UpdateMessage => message.type === 'update';
export const isError = (message: Message): message is ErrorMessage => message.type === 'error';
export const isAck = (message: Message): message is AckMessage => message.type === 'ack';
export const isAwareness = (message: Message): message is AwarenessMessage => message.type === 'awareness';
export const isChunk = (message: Message): message is ChunkMessage => message.type === 'chunk';

/** Builds a `hello` for the current protocol version. */
export function hello(docId: DocId, stateVector: Uint8Array, clientName: string | null = null): HelloMessage {
  return { type: 'hello', version: PROTOCOL_VERSION, docId, stateVector, clientName };
}

/**
 * WebSocket close codes the relay uses (4000–4999 is the application range). The close reason is
 * a short human-readable text; an `error` message with details is sent just before.
 */
export const CloseCode = {
  /** Normal end (client left or relay closed the room). */
  normal: 1000,
  /** Relay shutting down (SIGINT/SIGTERM). */
  goingAway: 1001,
  /** A frame above `maxPayload` (sent by `ws` itself). */
  messageTooBig: 1009,
  /** Malformed bytes, unknown message, wrong message order. */
  protocolError: 4400,
  /** A field above a protocol size limit (the frame itself was under `maxPayload`). */
  tooLarge: 4413,
  /** `hello` with a bad document id. */
  badDocId: 4404,
  /** Client is too slow to read: its send buffer passed the cap. */
  slowConsumer: 4408,
  /** A well-formed message whose CRDT update or state vector the document rejected. */
  badUpdate: 4422,
  /** `hello` with an unsupported protocol version. */
  unsupportedVersion: 4426,
  /** Too many messages: the per-connection rate limit was exceeded. */
  rateLimited: 4429,
  /** The relay failed internally. */
  internalError: 4500,
  /** The relay cannot serve the document now (its persistence group did not answer); retry later. */
  unavailable: 4503,
} as const;

export type CloseCode = (typeof CloseCode)[keyof typeof CloseCode];

/** The close code a relay uses after sending an `error` with this code. */
export function closeCodeFor(code: ErrorCode): CloseCode {
  switch (code) {
    case ErrorCode.malformed:
    case ErrorCode.unexpectedMessage:
      return CloseCode.protocolError;
    case ErrorCode.unsupportedVersion:
      return CloseCode.unsupportedVersion;
    case ErrorCode.badDocId:
      return CloseCode.badDocId;
    case ErrorCode.badUpdate:
      return CloseCode.badUpdate;
    case ErrorCode.tooLarge:
      return CloseCode.tooLarge;
    case ErrorCode.rateLimited:
      return CloseCode.rateLimited;
    case ErrorCode.slowConsumer:
      return CloseCode.slowConsumer;
    case ErrorCode.internal:
      return CloseCode.internalError;
    case ErrorCode.shuttingDown:
      return CloseCode.goingAway;
    case ErrorCode.unavailable:
      return CloseCode.unavailable;
  }
}
