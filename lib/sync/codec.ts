/**
 * Binary encoder/decoder pair for every protocol message.
 *
 * Frame layout: one tag byte (`MessageTag`), then the fields of that message in order. Integers
 * are LEB128 varuints; bytes and strings are varuint-length-prefixed (strings as UTF-8); optional
 * values are a 0/1 flag byte followed by the value. A frame must be consumed exactly.
 *
 * Invariant: `decodeMessage(encodeMessage(m))` deep-equals `m` for every valid `m`; both functions
 * throw only `ProtocolError`, and `decodeMessage` validates everything `encodeMessage` validates.
 */
import { ErrorCode, ProtocolError, isErrorCode } from './errors';
import {
  Limits,
  MessageTag,
  PROTOCOL_VERSION,
  parseDocId,
  type AwarenessEntry,
  type CaretAnchor,
  type CursorRange,
  type Message,
  type MessageType,
  type PresenceState,
} from './protocol';
import { WireReader, WireWriter } from './wire';

const UINT32_MAX = 0xffff_ffff;
const utf8Encoder = new TextEncoder();

/** A lone surrogate cannot round-trip through UTF-8, so strings with one are refused on encode. */
const loneSurrogate = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

function checkString(value: string, maxBytes: number, what: string): void {
  if (loneSurrogate.test(value)) throw new ProtocolError(ErrorCode.malformed, `${what} contains a lone surrogate`);
  const size = utf8Encoder.encode(value).length;
  if (size > maxBytes) throw new ProtocolError(ErrorCode.tooLarge, `${what} is ${size} bytes, limit ${maxBytes}`);
}

function checkBytes(value: Uint8Array, maxBytes: number, what: string): void {
  if (!(value instanceof Uint8Array)) throw new ProtocolError(ErrorCode.malformed, `${what} is not a Uint8Array`);
  if (value.length > maxBytes) throw new ProtocolError(ErrorCode.tooLarge, `${what} is ${value.length} bytes, limit ${maxBytes}`);
}

function checkUint(value: number, max: number, what: string): void {
  if (!Number.isSafeInteger(value) || value < 0 || value > max) {
    throw new ProtocolError(ErrorCode.malformed, `${what} must be an integer in [0, ${max}], got ${value}`);
  }
}

function readFlag(reader: WireReader, what: string): boolean {
  const flag = reader.readByte();
  if (flag > 1) throw new ProtocolError(ErrorCode.malformed, `${what} flag must be 0 or 1, got ${flag}`);
  return flag === 1;
}

// ---------------------------------------------------------------------------------------------
// Awareness (presence) sub-codecs

function writeAnchor(writer: WireWriter, anchor: CaretAnchor): void {
  if (anchor === null) {
    writer.writeByte(0);
    return;
  }
  checkUint(anchor.replica, UINT32_MAX, 'anchor replica');
  checkUint(anchor.clock, Number.MAX_SAFE_INTEGER, 'anchor clock');
  writer.writeByte(1);
  writer.writeVarUint(anchor.replica);
  writer.writeVarUint(anchor.clock);
}

function readAnchor(reader: WireReader): CaretAnchor {
  if (!readFlag(reader, 'anchor')) return null;
  const replica = reader.readBoundedVarUint(UINT32_MAX, 'anchor replica');
  const clock = reader.readVarUint();
  return { replica, clock };
}

function writeCursor(writer: WireWriter, cursor: CursorRange | null): void {
  if (cursor === null) {
    writer.writeByte(0);
    return;
  }
  checkString(cursor.field, Limits.cursorFieldBytes, 'cursor field');
  writer.writeByte(1);
  writer.writeString(cursor.field);
  writeAnchor(writer, cursor.anchor);
  writeAnchor(writer, cursor.head);
}

function readCursor(reader: WireReader): CursorRange | null {
  if (!readFlag(reader, 'cursor')) return null;
  const field = reader.readString(Limits.cursorFieldBytes, 'cursor field');
  const anchor = readAnchor(reader);
  const head = readAnchor(reader);
  return { field, anchor, head };
}

function writePresence(writer: WireWriter, state: PresenceState | null): void {
  if (state === null) {
    writer.writeByte(0);
    return;
  }
  checkString(state.name, Limits.presenceNameBytes, 'presence name');
  checkString(state.color, Limits.presenceColorBytes, 'presence color');
  writer.writeByte(1);
  writer.writeString(state.name);
  writer.writeString(state.color);
  writeCursor(writer, state.cursor);
}

function readPresence(reader: WireReader): PresenceState | null {
  if (!readFlag(reader, 'presence')) return null;
  const name = reader.readString(Limits.presenceNameBytes, 'presence name');
  const color = reader.readString(Limits.presenceColorBytes, 'presence color');
  const cursor = readCursor(reader);
  return { name, color, cursor };
}

function writeAwarenessEntries(writer: WireWriter, entries: readonly AwarenessEntry[]): void {
  if (!Array.isArray(entries)) throw new ProtocolError(ErrorCode.malformed, 'awareness entries is not an array');
  if (entries.length > Limits.awarenessEntries) {
    throw new ProtocolError(ErrorCode.tooLarge, `${entries.length} awareness entries, limit ${Limits.awarenessEntries}`);
  }
  writer.writeVarUint(entries.length);
  for (const entry of entries) {
    checkUint(entry.clientId, UINT32_MAX, 'awareness clientId');
    checkUint(entry.clock, Number.MAX_SAFE_INTEGER, 'awareness clock');
    writer.writeVarUint(entry.clientId);
    writer.writeVarUint(entry.clock);
    writePresence(writer, entry.state);
  }
}

function readAwarenessEntries(reader: WireReader): AwarenessEntry[] {
  const count = reader.readVarUint();
  if (count > Limits.awarenessEntries) {
    throw new ProtocolError(ErrorCode.tooLarge, `${count} awareness entries, limit ${Limits.awarenessEntries}`);
  }
  const entries: AwarenessEntry[] = [];
  for (let index = 0; index < count; index++) {
    const clientId = reader.readBoundedVarUint(UINT32_MAX, 'awareness clientId');
    const clock = reader.readVarUint();
    const state = readPresence(reader);
    entries.push({ clientId, clock, state });
  }
  return entries;
}

// ---------------------------------------------------------------------------------------------
// Messages

/** Encodes one message into a fresh frame. Throws `ProtocolError` if the message is invalid. */
export function encodeMessage(message: Message): Uint8Array {
  const writer = new WireWriter();
  switch (message.type) {
    case 'hello': {
      if (message.version !== PROTOCOL_VERSION) {
        throw new ProtocolError(ErrorCode.unsupportedVersion, `cannot encode hello version ${message.version}`);
      }
      parseDocId(message.docId);
      checkBytes(message.stateVector, Limits.stateVectorBytes, 'state vector');
      if (message.clientName !== null) checkString(message.clientName, Limits.clientNameBytes, 'client name');
      writer.writeByte(MessageTag.hello);
      writer.writeVarUint(message.version);
      writer.writeString(message.docId);
      writer.writeBytes(message.stateVector);
      if (message.clientName === null) writer.writeByte(0);
      else {
        writer.writeByte(1);
        writer.writeString(message.clientName);
      }
      break;
    }
    case 'sync':
      checkBytes(message.update, Limits.updateBytes, 'update');
      checkBytes(message.stateVector, Limits.stateVectorBytes, 'state vector');
      writer.writeByte(MessageTag.sync);
      writer.writeBytes(message.update);
      writer.writeBytes(message.stateVector);
      break;
    case 'update':
      checkBytes(message.update, Limits.updateBytes, 'update');
      writer.writeByte(MessageTag.update);
      writer.writeBytes(message.update);
      break;
    case 'error':
      if (!isErrorCode(message.code)) throw new ProtocolError(ErrorCode.malformed, `unknown error code ${message.code}`);
      checkString(message.message, Limits.errorMessageBytes, 'error message');
      writer.writeByte(MessageTag.error);
      writer.writeVarUint(message.code);
      writer.writeString(message.message);
      break;
    case 'ack':
      checkBytes(message.stateVector, Limits.stateVectorBytes, 'state vector');
      writer.writeByte(MessageTag.ack);
      writer.writeBytes(message.stateVector);
      break;
    case 'awareness':
      writer.writeByte(MessageTag.awareness);
      writeAwarenessEntries(writer, message.entries);
      break;
    case 'chunk':
      checkUint(message.transferId, UINT32_MAX, 'chunk transferId');
      checkUint(message.count, Limits.chunkCount, 'chunk count');
      if (message.count < 1) throw new ProtocolError(ErrorCode.malformed, 'chunk count must be at least 1');
      checkUint(message.index, message.count - 1, 'chunk index');
      checkBytes(message.bytes, Limits.chunkBytes, 'chunk');
      writer.writeByte(MessageTag.chunk);
      writer.writeVarUint(message.transferId);
      writer.writeVarUint(message.index);
      writer.writeVarUint(message.count);
      writer.writeBytes(message.bytes);
      break;
    default:
      throw new ProtocolError(ErrorCode.malformed, `unknown message type ${JSON.stringify((message as { type?: unknown }).type)}`);
  }
  return writer.finish();
}

/** Reads a document id; an id longer than the limit is a bad id, not merely a large field. */
function readDocId(reader: WireReader) {
  let raw: string;
  try {
    raw = reader.readString(Limits.docIdLength, 'document id');
  } catch (error) {
    if (error instanceof ProtocolError && error.code === ErrorCode.tooLarge) {
      throw new ProtocolError(ErrorCode.badDocId, `document id longer than ${Limits.docIdLength} bytes`);
    }
    throw error;
  }
  return parseDocId(raw);
}

const typeByTag = new Map<number, MessageType>(
  (Object.entries(MessageTag) as [MessageType, number][]).map(([type, tag]) => [tag, type]),
);

/** The message type of a frame from its first byte, without decoding the rest; null if unknown or empty. */
export function peekMessageType(frame: Uint8Array): MessageType | null {
  if (frame.length === 0) return null;
  return typeByTag.get(frame[0]!) ?? null;
}

/**
 * Decodes and validates one frame. Throws `ProtocolError` (and nothing else) on unknown types,
 * wrong versions, bad lengths, oversized fields, bad document ids, invalid UTF-8, trailing bytes.
 */
export function decodeMessage(frame: Uint8Array): Message {
  if (!(frame instanceof Uint8Array)) throw new ProtocolError(ErrorCode.malformed, 'frame is not binary');
  const reader = new WireReader(frame);
  if (frame.length === 0) throw new ProtocolError(ErrorCode.malformed, 'empty frame');
  const tag = reader.readByte();
  const type = typeByTag.get(tag);
  let message: Message;
  switch (type) {
    case 'hello': {
      const version = reader.readVarUint();
      if (version !== PROTOCOL_VERSION) {
        throw new ProtocolError(ErrorCode.unsupportedVersion, `protocol version ${version} is not supported (want ${PROTOCOL_VERSION})`);
      }
      const docId = readDocId(reader);
      const stateVector = reader.readBytes(Limits.stateVectorBytes, 'state vector');
      const clientName = readFlag(reader, 'client name') ? reader.readString(Limits.clientNameBytes, 'client name') : null;
      message = { type, version, docId, stateVector, clientName };
      break;
    }
    case 'sync': {
      const update = reader.readBytes(Limits.updateBytes, 'update');
      const stateVector = reader.readBytes(Limits.stateVectorBytes, 'state vector');
      message = { type, update, stateVector };
      break;
    }
    case 'update':
      message = { type, update: reader.readBytes(Limits.updateBytes, 'update') };
      break;
    case 'error': {
      const code = reader.readVarUint();
      if (!isErrorCode(code)) throw new ProtocolError(ErrorCode.malformed, `unknown error code ${code}`);
      message = { type, code, message: reader.readString(Limits.errorMessageBytes, 'error message') };
      break;
    }
    case 'ack':
      message = { type, stateVector: reader.readBytes(Limits.stateVectorBytes, 'state vector') };
      break;
    case 'awareness':
      message = { type, entries: readAwarenessEntries(reader) };
      break;
    case 'chunk': {
      const transferId = reader.readBoundedVarUint(UINT32_MAX, 'chunk transferId');
      const index = reader.readVarUint();
      const count = reader.readBoundedVarUint(Limits.chunkCount, 'chunk count');
      if (count < 1 || index >= count) throw new ProtocolError(ErrorCode.malformed, `chunk index ${index} of ${count}`);
      message = { type, transferId, index, count, bytes: reader.readBytes(Limits.chunkBytes, 'chunk') };
      break;
    }
    case undefined:
      throw new ProtocolError(ErrorCode.malformed, `unknown message tag ${tag}`);
  }
  reader.expectEnd();
  return message;
}
