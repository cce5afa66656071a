/**
 * The binary codec of Raft messages between nodes (on `lib/codec`'s Encoder/Decoder).
 *
 * Layout: version byte (1), type tag byte, from, to, term (varuints), then the fields of the type in
 * declaration order. Entries are (index, term, data bytes); snapshots are (index, term, voters,
 * data). Decoding validates everything (tags, ranges, trailing bytes) and throws
 * `MessageDecodeError` (a `DecodeError`) on bad bytes; it never returns a half-read message.
 */
import { Decoder, DecodeError, Encoder } from '../../../lib/codec';
import {
  asIndex,
  asNodeId,
  asTerm,
  type Entry,
  type Message,
  type MessageType,
  type NodeId,
  type Snapshot,
} from '../core/types';

export const MESSAGE_CODEC_VERSION = 1;

/** Wire tags. Stable: never renumber, only append. */
export const MESSAGE_TAGS: Readonly<Record<MessageType, number>> = {
  app: 1,
  appResp: 2,
  vote: 3,
  preVote: 4,
  voteResp: 5,
  preVoteResp: 6,
  heartbeat: 7,
  heartbeatResp: 8,
  snap: 9,
  prop: 10,
  readIndex: 11,
  readIndexResp: 12,
  timeoutNow: 13,
  transferLeader: 14,
};

const TYPES_BY_TAG = new Map<number, MessageType>(Object.entries(MESSAGE_TAGS).map(([type, tag]) => [tag, type as MessageType]));

/** Bad bytes on the Raft wire. */
export class MessageDecodeError extends DecodeError {}

/** Upper bound on voters in a snapshot and entries in a message (sanity limits on decode). */
const MAX_VOTERS = 1024;
const MAX_ENTRIES = 1 << 20;

function writeEntries(e: Encoder, entries: readonly Entry[]): void {
  e.writeVarUint(entries.length);
  for (const entry of entries) {
    e.writeVarUint(entry.index);
    e.writeVarUint(entry.term);
    e.writeBytes(entry.data);
  }
}

function readEntries(d: Decoder): Entry[] {
  const count = d.readVarUintIn(0, Math.min(MAX_ENTRIES, d.remaining), 'entry count');
  const out: Entry[] = [];
  for (let k = 0; k < count; k++) {
    const index = asIndex(d.readVarUint());
    const term = asTerm(d.readVarUint());
    out.push({ index, term, data: d.readBytes() });
  }
  return out;
}

function writeSnapshot(e: Encoder, s: Snapshot): void {
  e.writeVarUint(s.index);
  e.writeVarUint(s.term);
  e.writeVarUint(s.voters.length);
  for (const v of s.voters) e.writeVarUint(v);
  e.writeBytes(s.data);
}

function readSnapshot(d: Decoder): Snapshot {
  const index = asIndex(d.readVarUint());
  const term = asTerm(d.readVarUint());
  const count = d.readVarUintIn(0, MAX_VOTERS, 'voter count');
  const voters: NodeId[] = [];
  for (let k = 0; k < count; k++) voters.push(asNodeId(d.readVarUintIn(1, 0xffff_ffff, 'voter')));
  return { index, term, voters, data: d.readBytes() };
}

const readBool = (d: Decoder): boolean => d.readVarUintIn(0, 1, 'boolean') === 1;

/** Encodes one message. */
export function encodeMessage(m: Message): Uint8Array {
  const e = new Encoder(64);
  e.writeByte(MESSAGE_CODEC_VERSION);
  e.writeByte(MESSAGE_TAGS[m.type]);
  e.writeVarUint(m.from);
  e.writeVarUint(m.to);
  e.writeVarUint(m.term);
  switch (m.type) {
    case 'app':
      e.writeVarUint(m.index);
      e.writeVarUint(m.logTerm);
      e.writeVarUint(m.commit);
      writeEntries(e, m.entries);
      break;
    case 'appResp':
      e.writeVarUint(m.index);
      e.writeByte(m.reject ? 1 : 0);
      e.writeVarUint(m.hintIndex);
      e.writeVarUint(m.hintTerm);
      break;
    case 'vote':
    case 'preVote':
      e.writeVarUint(m.index);
      e.writeVarUint(m.logTerm);
      e.writeByte(m.transfer ? 1 : 0);
      break;
    case 'voteResp':
    case 'preVoteResp':
      e.writeByte(m.reject ? 1 : 0);
      break;
    case 'heartbeat':
      e.writeVarUint(m.commit);
      e.writeString(m.context);
      break;
    case 'heartbeatResp':
    case 'readIndex':
      e.writeString(m.context);
      break;
    case 'snap':
      writeSnapshot(e, m.snapshot);
      break;
    case 'prop':
      writeEntries(e, m.entries);
      break;
    case 'readIndexResp':
      e.writeVarUint(m.index);
      e.writeString(m.context);
      break;
    case 'timeoutNow':
      break;
    case 'transferLeader':
      e.writeVarUint(m.transferee);
      break;
  }
  return e.toBytes();
}

/** Decodes one message; throws MessageDecodeError on any bad byte. */
export function decodeMessage(bytes: Uint8Array): Message {
  const d = new Decoder(bytes);
  try {
    return readMessage(d);
  } catch (error) {
    if (error instanceof MessageDecodeError) throw error;
    if (error instanceof DecodeError) throw new MessageDecodeError(error.reason, error.offset);
    throw error;
  }
}

function readMessage(d: Decoder): Message {
  const version = d.readByte();
  if (version !== MESSAGE_CODEC_VERSION) d.fail(`unknown message codec version ${version}`);
  const tag = d.readByte();
  const type = TYPES_BY_TAG.get(tag);
  if (type === undefined) d.fail(`unknown message tag ${tag}`);
  const from = asNodeId(d.readVarUintIn(0, 0xffff_ffff, 'from'));
  const to = asNodeId(d.readVarUintIn(0, 0xffff_ffff, 'to'));
  const term = asTerm(d.readVarUint());
  const env = { from, to, term };
  let m: Message;
  switch (type) {
    case 'app': {
      const index = asIndex(d.readVarUint());
      const logTerm = asTerm(d.readVarUint());
      const commit = asIndex(d.readVarUint());
      m = { type, ...env, index, logTerm, commit, entries: readEntries(d) };
      break;
    }
    case 'appResp': {
      const index = asIndex(d.readVarUint());
      const reject = readBool(d);
      m = { type, ...env, index, reject, hintIndex: asIndex(d.readVarUint()), hintTerm: asTerm(d.readVarUint()) };
      break;
    }
    case 'vote':
    case 'preVote': {
      const index = asIndex(d.readVarUint());
      const logTerm = asTerm(d.readVarUint());
      m = { type, ...env, index, logTerm, transfer: readBool(d) };
      break;
    }
    case 'voteResp':
    case 'preVoteResp':
      m = { type, ...env, reject: readBool(d) };
      break;
    case 'heartbeat': {
      const commit = asIndex(d.readVarUint());
      m = { type, ...env, commit, context: d.readString() };
      break;
    }
    case 'heartbeatResp':
    case 'readIndex':
      m = { type, ...env, context: d.readString() };
      break;
    case 'snap':
      m = { type, ...env, snapshot: readSnapshot(d) };
      break;
    case 'prop':
      m = { type, ...env, entries: readEntries(d) };
      break;
    case 'readIndexResp': {
      const index = asIndex(d.readVarUint());
      m = { type, ...env, index, context: d.readString() };
      break;
    }
    case 'timeoutNow':
      m = { type, ...env };
      break;
    case 'transferLeader':
      m = { type, ...env, transferee: asNodeId(d.readVarUintIn(0, 0xffff_ffff, 'transferee')) };
      break;
  }
  d.expectEnd();
  return m;
}
