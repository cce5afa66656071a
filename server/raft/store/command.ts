/**
 * Commands of the document store, as they travel in Raft log entries.
 *
 * Layout: version byte, kind byte (1 = merge), request id (string, chosen by the proposing node so
 * it can recognise its own entry when applied), document id (string), then
 *   version 1: update (bytes);
 *   version 2: the update's fields (count, then per field its name (string) and kind byte), then
 *              update (bytes). The proposing node decoded the update to validate it; carrying its
 *              fields lets every node apply it with one decode (Doc.apply's) instead of two.
 * Both versions decode; `encodeCommand` writes version 2 when the fields are given.
 * An empty entry (Raft's no-op) is not a command.
 */
import { Decoder, DecodeError, Encoder } from '../../../lib/codec';
import type { FieldKind, FieldRef } from '../../../lib/crdt';
import { isDocId, type DocId } from '../../../lib/sync/protocol';

export const COMMAND_VERSION = 2;
export const CommandKind = { merge: 1 } as const;
/** Field kinds on the wire (the order of lib/crdt's update codec). Stable: only append. */
const FIELD_KINDS: readonly FieldKind[] = ['text', 'set', 'map', 'register', 'counter'];

/** Merge a CRDT update into the stored state of one document. */
export interface MergeCommand {
  readonly kind: 'merge';
  /** Unique per proposal (e.g. `${nodeId}.${bootId}.${seq}`), at most 64 characters. */
  readonly requestId: string;
  readonly docId: DocId;
  readonly update: Uint8Array;
  /** The update's fields, as its proposer decoded them (version 2); absent in version 1 commands. */
  readonly fields?: readonly FieldRef[];
}

export type Command = MergeCommand;

/** Bad command bytes (only possible from a bug or corruption: commands are validated before proposing). */
export class CommandDecodeError extends DecodeError {}

export function encodeCommand(command: Command): Uint8Array {
  const fields = command.fields;
  const e = new Encoder(command.update.length + command.docId.length + 32 + (fields?.length ?? 0) * 16);
  e.writeByte(fields ? 2 : 1);
  e.writeByte(CommandKind.merge);
  e.writeString(command.requestId);
  e.writeString(command.docId);
  if (fields) {
    e.writeVarUint(fields.length);
    for (const field of fields) {
      e.writeString(field.name);
      e.writeByte(FIELD_KINDS.indexOf(field.kind));
    }
  }
  e.writeBytes(command.update);
  return e.toBytes();
}

export function decodeCommand(bytes: Uint8Array): Command {
  const d: Decoder = new Decoder(bytes);
  try {
    const version = d.readByte();
    if (version !== 1 && version !== 2) d.fail(`unknown command version ${version}`);
    const kind = d.readByte();
    if (kind !== CommandKind.merge) d.fail(`unknown command kind ${kind}`);
    const requestId = d.readString();
    if (requestId.length > 64) d.fail('request id longer than 64 characters');
    const docId = d.readString();
    if (!isDocId(docId)) d.fail(`bad document id ${JSON.stringify(docId.slice(0, 140))}`);
    let fields: FieldRef[] | undefined;
    if (version === 2) {
      const count = d.readVarUintIn(0, d.remaining, 'field count');
      fields = [];
      for (let k = 0; k < count; k++) {
        const name = d.readString();
        const kind = FIELD_KINDS[d.readByte()];
        if (kind === undefined) d.fail(`unknown field kind for ${JSON.stringify(name.slice(0, 140))}`);
        fields.push({ name, kind });
      }
    }
    const update = d.readBytes();
    d.expectEnd();
    return fields ? { kind: 'merge', requestId, docId, update, fields } : { kind: 'merge', requestId, docId, update };
  } catch (error) {
    if (error instanceof DecodeError && !(error instanceof CommandDecodeError)) throw new CommandDecodeError(error.reason, error.offset);
    throw error;
  }
}
